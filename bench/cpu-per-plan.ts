// cpu_per_plan: what the cores pay for one plan. Slipway's CPU-seconds per plan — its process (one
// process, server and workers, SLIPWAY_CONCURRENCY=2) and its reaped children (git, the steps), from
// /proc/<pid>/stat — beside the floor's: bench/floor-plan.sh (shallow fetch, checkout, the step)
// per PR, each run under a `sh` whose own children's CPU it reads when the script has ended. The
// simulator runs in the benchmark's process, and its `git http-backend` children are the
// benchmark's: neither side counts them. plan_overhead's workload (one repository of 200 projects,
// plan step `true`), 2 PRs at a time on both sides, after WARM_UP PRs on Slipway that are not counted.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gitAuthEnv } from "../src/workspace/git.ts";
import type { PullInfo } from "../test/support/github-simulator/index.ts";
import { inLanes } from "./lib/bench-repos.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { sleep } from "./lib/call-watch.ts";
import { cpuSince, parseCpuTimes, readCpuTimes } from "./lib/cpu-times.ts";
import { progress, ratio, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";
import { preparePlanWorkload, SLOTS, STEP, timePlans } from "./plan-overhead.ts";

const PRS = 80;
const WARM_UP = 4;
const GOAL_RATIO = 2.0;
const BUDGET_MS = 90_000;
const FLOOR_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "floor-plan.sh");
const run$ = promisify(execFile);
// Runs the floor script as a child of this `sh`, then prints the `sh`'s /proc stat: its cutime and
// cstime then hold the script and every process it ran (all reaped), and nothing else.
const MEASURED_FLOOR = '"$0" "$@"; cat /proc/$$/stat';

/** Waits until Slipway has deleted the worktrees it moved aside (their CPU is the plans'). */
async function untilTrashEmpty(dataDir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await readdir(path.join(dataDir, "trash")).catch(() => [])).length > 0) await sleep(20);
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("cpu-per-plan");
  const floorRoot = await mkdtemp(path.join(tmpdir(), "slipway-bench-cpu-floor-"));
  try {
    const { sim } = stack;
    const { repo, projects, pulls } = await preparePlanWorkload(stack, "cpu_per_plan", "infra", WARM_UP + PRS);
    // BENCH_CPU_PROF=<dir>: Slipway writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
    const profile = process.env.BENCH_CPU_PROF
      ? {
          NODE_OPTIONS: `--import=${path.join(path.dirname(FLOOR_SCRIPT), "lib", "cpu-profile-preload.mjs")}`,
          BENCH_CPU_PROF_DIR: path.resolve(process.env.BENCH_CPU_PROF),
        }
      : undefined;
    const slipway = await stack.slipway({ concurrency: SLOTS, ...(profile ? { env: profile } : {}) });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
    await timePlans(stack, slipway, pulls.slice(0, WARM_UP), Date.now() + BUDGET_MS);
    await untilTrashEmpty(slipway.dataDir);

    const start = readCpuTimes(slipway.pid);
    const { ran } = await timePlans(stack, slipway, pulls.slice(WARM_UP), Date.now() + BUDGET_MS);
    await untilTrashEmpty(slipway.dataDir);
    const used = cpuSince(slipway.pid, start);
    progress("cpu_per_plan", `Slipway planned ${ran.length} PRs: ${round(used.own, 2)} s own, ${round(used.children, 2)} s children`);

    const authEnv = { ...process.env, ...gitAuthEnv(sim.installationToken(repo.installationId)) } as NodeJS.ProcessEnv;
    const floorCpu = await inLanes(ran, SLOTS, async (pr: PullInfo, i) => {
      const dir = path.join(floorRoot, String(i));
      const args = [dir, repo.cloneUrl, `refs/pull/${pr.number}/head`, projects[pulls.indexOf(pr)]!, STEP];
      const { stdout } = await run$("sh", ["-c", MEASURED_FLOOR, FLOOR_SCRIPT, ...args], { env: authEnv });
      await rm(dir, { recursive: true, force: true });
      return parseCpuTimes(stdout).children;
    });

    const plans = ran.length;
    const slipwayPerPlan = (used.own + used.children) / plans;
    const floorPerPlan = floorCpu.reduce((a, b) => a + b, 0) / plans;
    const value = ratio(slipwayPerPlan, floorPerPlan);
    const msOf = (s: number) => `${round(s * 1000, 1)} ms`;
    return {
      headline: { cpu_per_plan_ratio: value },
      goals: [{ what: "CPU per plan, Slipway (process + children) ÷ floor", target: `≤ ${GOAL_RATIO}`, value: String(value), met: value <= GOAL_RATIO }],
      table: {
        title: `cpu_per_plan — ${plans} PRs, one project each, plan step \`${STEP}\`, ${SLOTS} in flight`,
        headers: ["side", "CPU per plan", "of which: process itself (system)", "of which: children (git, steps)"],
        rows: [
          [
            "Slipway (server + workers, one process)",
            msOf(slipwayPerPlan),
            `${msOf(used.own / plans)} (${msOf(used.system / plans)})`,
            msOf(used.children / plans),
          ],
          ["floor: shallow fetch + checkout + step (shell)", msOf(floorPerPlan), "", msOf(floorPerPlan)],
          ["ratio Slipway ÷ floor", value, "", ""],
        ],
        notes: [
          `From /proc/<pid>/stat (10 ms ticks), summed over ${plans} PRs after ${WARM_UP} uncounted warm-up PRs; the GitHub simulator and its git are excluded from both sides.`,
          "Slipway's figure includes everything its process did meanwhile (intake, queue, Redis client, API calls, comment, background deletion of worktrees).",
        ],
      },
      detail: {
        prs: plans,
        warm_up: WARM_UP,
        slots: SLOTS,
        step: STEP,
        slipway_cpu_s: { own: round(used.own, 2), system: round(used.system, 2), children: round(used.children, 2) },
        floor_cpu_s: round(
          floorCpu.reduce((a, b) => a + b, 0),
          2,
        ),
        slipway_ms_per_plan: round(slipwayPerPlan * 1000, 1),
        floor_ms_per_plan: round(floorPerPlan * 1000, 1),
      },
    };
  } finally {
    await stack.stop();
    await rm(floorRoot, { recursive: true, force: true });
  }
}

export const cpuPerPlan: Bench = { name: "cpu_per_plan", summary: "CPU-seconds per plan of Slipway's process and children vs the floor's shell script", run };
