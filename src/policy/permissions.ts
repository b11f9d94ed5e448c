// Who may run commands (SPEC §5): users with at least write permission on the repository.
// Pure: the caller fetches the permission from GitHub and passes it in.
import type { CommandKind } from "../commands/command-types.ts";

/** GitHub's repository roles, strongest first. */
export const PERMISSION_LEVELS = ["admin", "maintain", "write", "triage", "read", "none"] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export function isPermissionLevel(value: unknown): value is PermissionLevel {
  return typeof value === "string" && (PERMISSION_LEVELS as readonly string[]).includes(value);
}

/** True when `level` grants at least what `needed` grants. */
export function atLeast(level: PermissionLevel, needed: PermissionLevel): boolean {
  return PERMISSION_LEVELS.indexOf(level) <= PERMISSION_LEVELS.indexOf(needed);
}

/**
 * The level from GitHub's "get repository permissions for a user" answer. `permission` only
 * knows the legacy admin/write/read/none (maintain shows as write, triage as read); `role_name`
 * has the real role, or a custom role's own name — then the legacy field, which reflects the
 * custom role's base, is the safe reading. Anything unrecognised is `none`.
 */
export function permissionFromGitHub(answer: { permission?: string | null; role_name?: string | null }): PermissionLevel {
  if (isPermissionLevel(answer.role_name)) return answer.role_name;
  if (isPermissionLevel(answer.permission)) return answer.permission;
  return "none";
}

export function canRunCommands(level: PermissionLevel): boolean {
  return atLeast(level, "write");
}

export type CommandDecision = { allow: true } | { allow: false; reason: string };

/** How a command reads in a reply: `/apply`, `/approve cancel`. */
export function commandLabel(kind: CommandKind): string {
  return kind === "approve_cancel" ? "/approve cancel" : `/${kind}`;
}

export function decideCommand(input: { user: string; command: CommandKind; level: PermissionLevel }): CommandDecision {
  if (canRunCommands(input.level)) return { allow: true };
  const has = input.level === "none" ? "no access" : input.level;
  return {
    allow: false,
    reason: `@${input.user} needs write access to this repository to run ${commandLabel(input.command)}; they have ${has}.`,
  };
}
