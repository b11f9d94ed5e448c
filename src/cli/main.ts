// `slipway check`: the entry the `slipway` bin runs. The process's own things (argv, cwd,
// environment, streams) come in as arguments, so tests and the bin call the same function.
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import { parseArgs, USAGE, type CheckArgs } from "./args.ts";
import { buildCheckReport, renderCheckText } from "./check-report.ts";
import { CONFIG_FILE, checkDiff, readConfigText, repoRoot, resolveCommit, type GitContext } from "./repo-changes.ts";

export interface CliIo {
  cwd: string;
  env: Record<string, string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Exit status (SPEC §12): 0 valid, 1 invalid or no config, 2 usage error. */
export const EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === "help") {
    io.stdout(`${USAGE}\n`);
    return EXIT.valid;
  }
  if (args.command === "usage_error") return usageError(io, args.message);
  return check(args, io);
}

async function check(args: CheckArgs, io: CliIo): Promise<number> {
  const root = await repoRoot(io.cwd, io.env);
  if (root === undefined) return usageError(io, "not inside a git repository: run it in a clone of the repository to check");
  const ctx: GitContext = { root, env: io.env };
  // Refs first: a typo in a ref is a usage error whatever the config says.
  for (const name of ["base", "head"] as const) {
    const ref = args[name];
    if (ref !== undefined && (await resolveCommit(ctx, ref)) === undefined)
      return usageError(io, `--${name} ${JSON.stringify(ref)} names no commit in this repository`);
  }
  const text = await readConfigText(ctx, args.head);
  const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
  const diff = parsed?.ok ? await checkDiff(ctx, args.base, args.head) : { base: args.base ?? "HEAD", head: args.head ?? null, files: [] };
  const report = buildCheckReport(CONFIG_FILE, parsed, diff);
  if (args.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else (report.valid ? io.stdout : io.stderr)(renderCheckText(report));
  return report.valid ? EXIT.valid : EXIT.invalid;
}

function usageError(io: CliIo, message: string): number {
  io.stderr(`slipway: ${message}\n${USAGE.split("\n")[0]}\n`);
  return EXIT.usage;
}
