// The command grammar as a table: each command's name, what its arguments are, and the one-line
// description /help shows. Adding a command is adding a row (and a case in `build`).

import type { Command, CommandErrorCode, ParseOptions } from "./command-types.ts";

export type ArgumentKind = "none" | "projects" | "targets" | "environments";

export interface CommandSpec {
  name: string;
  args: ArgumentKind;
  usage: string;
  summary: string;
}

export const COMMAND_SPECS: readonly CommandSpec[] = [
  { name: "plan", args: "projects", usage: "/plan [project…]", summary: "plan all changed projects, or the named ones" },
  {
    name: "apply",
    args: "targets",
    usage: "/apply [project…|environment]",
    summary: "apply planned projects before merge, or release a manual environment after merge",
  },
  {
    name: "approve",
    args: "environments",
    usage: "/approve [environment…]",
    summary: "approve this head for the named environments (default: all the PR touches)",
  },
  { name: "approve cancel", args: "none", usage: "/approve cancel", summary: "withdraw your approvals" },
  { name: "unlock", args: "projects", usage: "/unlock [project…]", summary: "release this PR's project locks" },
  { name: "rollback", args: "none", usage: "/rollback", summary: "on a merged PR: open a PR reverting it" },
  { name: "help", args: "none", usage: "/help", summary: "list the commands and this PR's state" },
];

/** Command words (the part after `/`), lower case. */
export const COMMAND_WORDS: readonly string[] = [...new Set(COMMAND_SPECS.map((s) => s.name.split(" ")[0]!))];

export function specFor(word: string): CommandSpec | undefined {
  return COMMAND_SPECS.find((s) => s.name === word);
}

export type BuildResult = { ok: true; command: Command } | { ok: false; code: CommandErrorCode; reason: string };

const LIST_MAX = 20;

function listNames(names: string[]): string {
  const shown = names
    .slice(0, LIST_MAX)
    .map((n) => `\`${n}\``)
    .join(", ");
  return names.length > LIST_MAX ? `${shown}, … (${names.length} in all)` : shown;
}

function unknown(kind: "project" | "environment", bad: string[], known: string[]): BuildResult {
  const code: CommandErrorCode = kind === "project" ? "unknown_project" : "unknown_environment";
  const what = bad.length === 1 ? `unknown ${kind} \`${bad[0]}\`` : `unknown ${kind}s ${listNames(bad)}`;
  const valid = known.length > 0 ? `known ${kind}s: ${listNames(known)}` : `this repository defines no ${kind}s`;
  return { ok: false, code, reason: `${what}; ${valid}.` };
}

function checkKnown(kind: "project" | "environment", names: string[], known: string[] | undefined): BuildResult | null {
  if (!known) return null;
  const bad = names.filter((n) => !known.includes(n));
  return bad.length > 0 ? unknown(kind, bad, known) : null;
}

/** Builds the command for an already tokenised, character-checked argument list. */
export function build(word: string, args: string[], opts: ParseOptions): BuildResult {
  const spec = specFor(word);
  if (!spec) return { ok: false, code: "unknown_command", reason: `unknown command \`/${word}\`` };
  if (word === "approve" && args.includes("cancel")) {
    if (args.length > 1) {
      return { ok: false, code: "unexpected_arguments", reason: "`/approve cancel` takes no other arguments; write it alone on its line." };
    }
    return { ok: true, command: { kind: "approve_cancel" } };
  }
  if (spec.args === "none" && args.length > 0) {
    return { ok: false, code: "unexpected_arguments", reason: `\`/${word}\` takes no arguments; write \`/${word}\` alone.` };
  }
  switch (word) {
    case "plan":
    case "unlock": {
      const bad = checkKnown("project", args, opts.knownProjects);
      if (bad) return bad;
      return { ok: true, command: { kind: word, projects: args } };
    }
    case "approve": {
      const bad = checkKnown("environment", args, opts.knownEnvironments);
      if (bad) return bad;
      return { ok: true, command: { kind: "approve", environments: args } };
    }
    case "apply":
      return buildApply(args, opts);
    case "rollback":
      return { ok: true, command: { kind: "rollback" } };
    default:
      return { ok: true, command: { kind: "help" } };
  }
}

// `/apply` takes projects, or one environment alone (releasing a manual environment after merge).
function buildApply(args: string[], opts: ParseOptions): BuildResult {
  const { knownProjects, knownEnvironments } = opts;
  if (knownProjects && knownEnvironments) {
    const bad = args.filter((a) => !knownProjects.includes(a) && !knownEnvironments.includes(a));
    if (bad.length > 0) {
      const known = [...knownProjects, ...knownEnvironments];
      const what = bad.length === 1 ? `\`${bad[0]}\` is` : `${listNames(bad)} are`;
      const valid = known.length > 0 ? `known projects and environments: ${listNames(known)}` : "this repository defines none";
      return { ok: false, code: "unknown_project", reason: `${what} neither a project nor an environment; ${valid}.` };
    }
  }
  if (knownEnvironments && args.length > 1) {
    const envOnly = args.filter((a) => knownEnvironments.includes(a) && !(knownProjects ?? []).includes(a));
    if (envOnly.length > 0) {
      return {
        ok: false,
        code: "mixed_targets",
        reason: `\`/apply\` takes projects, or one environment alone; \`${envOnly[0]}\` is an environment. Write \`/apply ${envOnly[0]}\` on its own line.`,
      };
    }
  }
  return { ok: true, command: { kind: "apply", targets: args } };
}
