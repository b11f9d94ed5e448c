// step_watchdog: what the step watchdog (src/runner/step-watchdog.ts) costs the plan path, which
// is sensitive to per-step cost (plan_overhead). Measured in one process, interleaved so that load
// from elsewhere on the machine weighs on all three alike: the runner's whole step (`runStep` of
// `true`, its group watched and released), a bare detached spawn of `true` with piped output (how
// the runner started a step before the watchdog; also about what a watchdog process spawned per
// step would add), and watching plus releasing one group alone (two lines on the watchdog's pipe).
import { spawn, type ChildProcess } from "node:child_process";
import { OutputCapture } from "../src/runner/output-capture.ts";
import { runStep } from "../src/runner/run-step.ts";
import { watchStepGroup } from "../src/runner/step-watchdog.ts";
import { median, ms, percentile, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const ROUNDS = 300;
const WARM_UP = 20;
/** Watching a step must cost far less than starting it: a process per step would cost a spawn. */
const GOAL_MS = 0.5;

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

async function runnerStep(): Promise<void> {
  await runStep({ argv: ["true"], cwd: "/tmp", env, timeoutMs: 10_000 }, new OutputCapture());
}

async function bareSpawn(): Promise<void> {
  const child = spawn("true", [], { cwd: "/tmp", env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.resume();
  child.stderr!.resume();
  await exitOf(child);
}

/** Watching and releasing one group (the bench's own sleeper): the worker's share per step. */
async function watchAndRelease(pgid: number): Promise<void> {
  watchStepGroup(pgid, (err) => {
    throw err;
  }).release();
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function timed(run: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export const stepWatchdog: Bench = {
  name: "step_watchdog",
  summary: "cost of the step watchdog: runner step vs a bare spawn, and watching one group alone",
  async run(): Promise<BenchResult> {
    const sleeper = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    const pgid = sleeper.pid!;
    const samples = { runner: [] as number[], bare: [] as number[], watchdog: [] as number[] };
    try {
      for (let i = 0; i < WARM_UP + ROUNDS; i++) {
        const runner = await timed(runnerStep);
        const bare = await timed(bareSpawn);
        const watchdog = await timed(() => watchAndRelease(pgid));
        if (i < WARM_UP) continue;
        samples.runner.push(runner);
        samples.bare.push(bare);
        samples.watchdog.push(watchdog);
      }
    } finally {
      process.kill(-pgid, "SIGKILL");
    }
    const us = (n: number) => `${Math.round(n * 1000)} µs`;
    const row = (label: string, v: number[], f: (n: number) => string = ms) => [label, f(median(v)), f(percentile(v, 90)), f(percentile(v, 99))];
    const overhead = median(samples.runner) - median(samples.bare);
    const watchP50 = median(samples.watchdog);
    return {
      headline: {},
      goals: [{ what: "watch + release of one step's group, p50", target: `≤ ${GOAL_MS} ms`, value: us(watchP50), met: watchP50 <= GOAL_MS }],
      table: {
        title: `step_watchdog — ${ROUNDS} steps of \`true\`, interleaved`,
        headers: ["path", "p50", "p90", "p99"],
        rows: [
          row("runner step (runStep, watchdog included)", samples.runner),
          row("bare detached spawn, piped output", samples.bare),
          row("watch + release one group (two lines on the watchdog's pipe)", samples.watchdog, us),
        ],
        notes: [
          `Runner step over a bare spawn at p50: ${ms(overhead)} (output capture, timers, the watch). One watchdog per process; a watchdog spawned per step would add about a bare spawn, a Node supervisor ~40 ms and ~40 MB.`,
        ],
      },
      detail: { rounds: ROUNDS, runner_over_bare_ms: round(overhead, 2), watch_release_ms: round(watchP50, 3) },
    };
  },
};
