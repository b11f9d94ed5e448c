// Who may run commands (SPEC §5): users with at least write permission on the repository.
// Pure: the caller fetches the permission from GitHub (github/people.ts) and passes it in.
import type { CommandKind } from "../commands/command-types.ts";

/** GitHub's repository roles, strongest first. */
const PERMISSION_LEVELS = ["admin", "maintain", "write", "triage", "read", "none"] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** True when `level` grants at least what `needed` grants. */
function atLeast(level: PermissionLevel, needed: PermissionLevel): boolean {
  return PERMISSION_LEVELS.indexOf(level) <= PERMISSION_LEVELS.indexOf(needed);
}

function canRunCommands(level: PermissionLevel): boolean {
  return atLeast(level, "write");
}

/** How a command reads in a reply: `/apply`, `/approve cancel`. */
export function commandLabel(kind: CommandKind): string {
  return kind === "approve_cancel" ? "/approve cancel" : `/${kind}`;
}

/** Why `user` may not run `command`, or undefined when their permission allows it. */
export function permissionRefusal(user: string, command: CommandKind, level: PermissionLevel): string | undefined {
  if (canRunCommands(level)) return undefined;
  const has = level === "none" ? "no access" : level;
  return `@${user} needs write access to this repository to run ${commandLabel(command)}; they have ${has}.`;
}
