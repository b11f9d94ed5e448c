// Standalone (not in run.ts): where a plan's checkout spends its time. Opens N one-project PRs
// on the simulator (plan_overhead's repository), then checks each out with Slipway's Workspaces,
// SLOTS at a time, as a plan does (head SHA, its PR ref and the base branch), and the floor's
// shell script beside it. Every git process writes a trace2 event file; the table sums them by
// command. Usage: node --import tsx bench/checkout-profile.ts [N]
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gitAuthEnv } from "../src/workspace/git.ts";
import { Workspaces } from "../src/workspace/workspaces.ts";
import { inLanes } from "./lib/bench-repos.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { median } from "./lib/stats.ts";
import { preparePlanWorkload, SLOTS, STEP } from "./plan-overhead.ts";

const FLOOR_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "floor-plan.sh");
const run$ = promisify(execFile);

async function traceTotals(dir: string): Promise<Map<string, number[]>> {
  const byCommand = new Map<string, number[]>();
  for (const name of await readdir(dir)) {
    const events = (await readFile(path.join(dir, name), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const start = events.find((e) => e.event === "start");
    const exit = events.find((e) => e.event === "exit" || e.event === "atexit");
    if (!start || !exit) continue;
    const words = (start.argv as string[]).slice(1).filter((a) => !a.startsWith("-") && !a.includes("/"));
    const key = words[0] === "worktree" ? words.slice(0, 2).join(" ") : (words[0] ?? "?");
    byCommand.set(key, [...(byCommand.get(key) ?? []), (exit.t_abs as number) * 1000]);
  }
  return byCommand;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 40);
  const stack = await startBenchStack("checkout-profile");
  const root = await mkdtemp(path.join(tmpdir(), "slipway-checkout-profile-"));
  try {
    const { repo, projects, pulls } = await preparePlanWorkload(stack, "checkout_profile", "infra", count);
    const token = stack.sim.installationToken(repo.installationId);
    const traceDir = path.join(root, "trace");
    await mkdir(traceDir);
    const workspaces = new Workspaces({
      dataDir: path.join(root, "data"),
      gitBaseUrl: stack.sim.baseUrl,
      env: { PATH: process.env.PATH ?? "", GIT_TRACE2_EVENT: traceDir },
    });
    const [owner, name] = repo.fullName.split("/") as [string, string];
    const slipwayMs = await inLanes(pulls, SLOTS, async (pr) => {
      const t0 = performance.now();
      const wt = await workspaces.checkout({ owner, repo: name, token, sha: pr.headSha, refs: [`refs/pull/${pr.number}/head`, "refs/heads/main"] });
      const took = performance.now() - t0;
      await wt.remove();
      return took;
    });
    const totals = await traceTotals(traceDir);
    const authEnv = { ...process.env, ...gitAuthEnv(token) } as NodeJS.ProcessEnv;
    const floorMs = await inLanes(pulls, SLOTS, async (pr, i) => {
      const t0 = performance.now();
      const dir = path.join(root, "floor", String(i));
      await run$(FLOOR_SCRIPT, [dir, repo.cloneUrl, `refs/pull/${pr.number}/head`, projects[i]!, STEP], { env: authEnv });
      const took = performance.now() - t0;
      await rm(dir, { recursive: true, force: true });
      return took;
    });
    console.log(
      `${count} PRs, ${SLOTS} at a time: checkout median ${median(slipwayMs).toFixed(0)} ms; floor (fetch+checkout+step) ${median(floorMs).toFixed(0)} ms`,
    );
    for (const [cmd, times] of [...totals].sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))) {
      console.log(
        `  git ${cmd.padEnd(24)} ×${String(times.length).padStart(4)}  median ${median(times).toFixed(1)} ms  total ${times.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
      );
    }
  } finally {
    await stack.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
