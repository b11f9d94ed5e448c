// `slipway` command line → what to do, or a usage error in one line. Pure.

export interface CheckArgs {
  command: "check";
  /** Compare against this ref (its merge base with the head, as a pull request would). */
  base?: string;
  /** Check this commit instead of the working tree; needs `base`. */
  head?: string;
  json: boolean;
}

export type ParsedArgs = CheckArgs | { command: "help" } | { command: "usage_error"; message: string };

export const USAGE = [
  "usage: slipway check [--base REF [--head REF]] [--json]",
  "",
  "Validates .slipway.yml of the repository you are in, and lists the projects your changes touch,",
  "their environments and their apply order.",
  "",
  "  (no flags)     the working tree, uncommitted and untracked files included, against HEAD",
  "  --base REF     against the merge base of REF and HEAD (what a pull request into REF would show)",
  "  --head REF     a commit instead of the working tree (needs --base); its .slipway.yml is checked",
  "  --json         one JSON object on stdout (see the README: Check before you push)",
  "",
  "Exit status: 0 valid, 1 invalid or no .slipway.yml, 2 usage error.",
].join("\n");

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { command: "help" };
  if (command !== "check") return usage(`unknown command ${quote(command)}; the only command is \`check\``);
  const out: CheckArgs = { command: "check", json: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--help" || arg === "-h") return { command: "help" };
    if (arg === "--json") {
      out.json = true;
      continue;
    }
    const m = /^--(base|head)(?:=(.*))?$/s.exec(arg);
    if (!m) return usage(`unknown option ${quote(arg)}`);
    const name = m[1] as "base" | "head";
    const value = m[2] ?? rest[++i];
    if (value === undefined || value === "") return usage(`--${name} needs a ref, e.g. --${name} main`);
    // A ref never starts with "-"; git would read one as an option.
    if (value.startsWith("-")) return usage(`--${name} ${quote(value)} is not a ref`);
    if (out[name] !== undefined) return usage(`--${name} given twice`);
    out[name] = value;
  }
  if (out.head !== undefined && out.base === undefined) return usage("--head needs --base: the changes of a commit are counted from a base");
  return out;
}

function usage(message: string): ParsedArgs {
  return { command: "usage_error", message };
}

function quote(s: string): string {
  return JSON.stringify(s);
}
