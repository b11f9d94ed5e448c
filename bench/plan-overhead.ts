// plan_overhead: 200 PRs, one project each, plan step `true`, from the `pull_request.opened`
// delivery to Slipway's final comment — beside the floor measured in the same run: per PR, a
// fresh shallow fetch of the same commit from the simulator's git URL with the installation
// token, checkout, and the same step, from a shell script (bench/floor-plan.sh). Both run with
// 2 PRs in flight, the same parallelism as Slipway's 2 slots (SLIPWAY_CONCURRENCY=2).
// Blocks of 2 PRs alternate between the two sides (Slipway, floor, floor, Slipway, …), so that
// load from elsewhere on a shared machine weighs on both alike.
// Bounded in time: no new block starts after BUDGET_MS; the figures are then over the PRs that
// ran (the table says how many), the same PRs on both sides.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gitAuthEnv } from "../src/workspace/git.ts";
import type { PullInfo } from "../test/support/github-simulator/index.ts";
import type { RepoInfo } from "../test/support/scenario/scenario.ts";
import type { SlipwayProcess } from "../test/support/slipway-process.ts";
import { inLanes, openPulls, projectName, projectsRepoFiles } from "./lib/bench-repos.ts";
import { startBenchStack, type BenchStack } from "./lib/bench-stack.ts";
import { CallWatch, sleep } from "./lib/call-watch.ts";
import { createDeliveryClient, findDelivery } from "./lib/deliveries.ts";
import { median, ms, percentile, progress, ratio, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

export const PRS = 200;
export const SLOTS = 2;
export const STEP = "true";
const GOAL_RATIO = 1.3;
const PER_PR_TIMEOUT_MS = 30_000;
const BUDGET_MS = 110_000;
const FLOOR_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "floor-plan.sh");
const run$ = promisify(execFile);

export function summary(values: number[]) {
  return {
    p50_ms: round(median(values), 1),
    p90_ms: round(percentile(values, 90), 1),
    p99_ms: round(percentile(values, 99), 1),
    max_ms: round(percentile(values, 100), 1),
    mean_ms: round(values.reduce((a, b) => a + b, 0) / values.length, 1),
  };
}

/** The workload plan_overhead and audit_overhead share: one repo, PRS projects, one PR each. */
export interface PlanWorkload {
  repo: RepoInfo;
  projects: string[];
  /** Prepared with no webhook target: their deliveries are recorded, and sent by timePlans. */
  pulls: PullInfo[];
}

/** A repository of PRS projects, and one PR changing one project for the first `count` of them. */
export async function preparePlanWorkload(stack: BenchStack, label: string, name = "infra", count = PRS): Promise<PlanWorkload> {
  const gh = stack.sim.scenario;
  gh.addUser("alice", { permission: "write" });
  const projects = Array.from({ length: PRS }, (_, i) => projectName(i));
  const repo = await gh.createRepo({ owner: "acme", name, files: projectsRepoFiles(projects, { plan: [STEP] }) });
  const prepared = Date.now();
  const pulls = await openPulls(
    gh,
    projects.slice(0, count).map((p) => ({ repo: repo.fullName, branch: `change-${p}`, files: { [`${p}/main.tf`]: `# ${p} v2\n` } })),
    "alice",
  );
  progress(label, `${count} PRs of ${repo.fullName} prepared in ${((Date.now() - prepared) / 1000).toFixed(1)} s`);
  return { repo, projects, pulls };
}

export interface TimedPlans {
  /** The PRs started before the budget ended, in order. */
  ran: PullInfo[];
  /** Per PR of `ran`: ms from sending `pull_request.opened` to Slipway's first comment. */
  ms: number[];
}

/** The plan step's own duration inside Slipway, from the process's log (every plan it ran). */
export function stepTimes(slipway: SlipwayProcess): number[] {
  return [...slipway.logs().matchAll(/"status":"[a-z_]+","ms":(\d+),"msg":"project planned"/g)].map((m) => Number(m[1]));
}

/**
 * Sends each PR's `push` and `pull_request.opened` deliveries to one Slipway process, SLOTS PRs in
 * flight, and times each to its comment; starts no PR after `budgetEnd`. Checks every comment names
 * its head. The caller points the simulator's webhooks (the echoes of Slipway's writes) at it.
 */
export async function timePlans(stack: BenchStack, slipway: SlipwayProcess, pulls: PullInfo[], budgetEnd: number): Promise<TimedPlans> {
  const { sim } = stack;
  const gh = sim.scenario;
  const hookUrl = `${slipway.url}/api/github/webhooks`;
  const client = createDeliveryClient(hookUrl, SLOTS * 2);
  const watch = new CallWatch(sim);
  const timed = await inLanes(pulls, SLOTS, async (pr: PullInfo): Promise<number | undefined> => {
    if (Date.now() > budgetEnd) return undefined;
    await client.post(findDelivery(sim, pr, "push"));
    const opened = await client.post(findDelivery(sim, pr, "pull_request", "opened"));
    if (opened.status !== 200) throw new Error(`opened delivery of #${pr.number} answered ${opened.status}`);
    const deadline = Date.now() + PER_PR_TIMEOUT_MS;
    for (;;) {
      const at = watch.firstAt("comment", pr.repo, pr.number);
      if (at !== undefined) return at - opened.sentAt;
      if (Date.now() > deadline) throw new Error(`no comment on #${pr.number} within ${PER_PR_TIMEOUT_MS / 1000} s:\n${slipway.logs().slice(-3000)}`);
      await sleep(5);
    }
  });
  client.close();
  await sim.idle();
  const ran = pulls.filter((_, i) => timed[i] !== undefined);
  const wrong = ran.filter((pr) => !gh.comments(pr.repo, pr.number)[0]?.body.includes(pr.headSha.slice(0, 7)));
  if (wrong.length > 0) throw new Error(`${wrong.length} PRs have no comment naming their head, e.g. #${wrong[0]!.number}`);
  return { ran, ms: timed.filter((t): t is number => t !== undefined) };
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("plan-overhead");
  const floorRoot = await mkdtemp(path.join(tmpdir(), "slipway-bench-floor-"));
  try {
    const { sim } = stack;
    const { repo, projects, pulls } = await preparePlanWorkload(stack, "plan_overhead");
    const slipway = await stack.slipway({ concurrency: SLOTS });
    sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`); // GitHub's echoes of Slipway's own writes reach it, as in production

    // The floor, with the same token Slipway uses (minted once, as Slipway caches it).
    const authEnv = { ...process.env, ...gitAuthEnv(sim.installationToken(repo.installationId)) } as NodeJS.ProcessEnv;
    const floorBlock = (block: PullInfo[]) =>
      inLanes(block, SLOTS, async (pr: PullInfo) => {
        const started = performance.now();
        const i = pulls.indexOf(pr);
        const dir = path.join(floorRoot, String(i));
        await run$(FLOOR_SCRIPT, [dir, repo.cloneUrl, `refs/pull/${pr.number}/head`, projects[i]!, STEP], { env: authEnv });
        const took = performance.now() - started;
        // Not timed, as Slipway removes its worktree after the comment; the disk stays as small as Slipway's.
        await rm(dir, { recursive: true, force: true });
        return took;
      });

    // Blocks of SLOTS PRs alternate between Slipway and the floor (S, F, F, S, …), the same PRs on
    // both sides: on a machine shared with other work, load that comes and goes weighs on both alike.
    const ran: PullInfo[] = [];
    const slipwayMs: number[] = [];
    const floorMs: number[] = [];
    const budgetEnd = Date.now() + BUDGET_MS;
    for (let b = 0; b * SLOTS < pulls.length && Date.now() <= budgetEnd; b++) {
      const block = pulls.slice(b * SLOTS, (b + 1) * SLOTS);
      const slipwaySide = async () => slipwayMs.push(...(await timePlans(stack, slipway, block, Infinity)).ms);
      const floorSide = async () => floorMs.push(...(await floorBlock(block)));
      for (const side of b % 2 === 0 ? [slipwaySide, floorSide] : [floorSide, slipwaySide]) await side();
      ran.push(...block);
    }
    progress("plan_overhead", `Slipway planned ${ran.length} of ${PRS} PRs (median ${ms(median(slipwayMs))}; floor ${ms(median(floorMs))})`);
    const stepMs = stepTimes(slipway);

    const s = summary(slipwayMs);
    const f = summary(floorMs);
    const overhead = ratio(median(slipwayMs), median(floorMs));
    return {
      headline: { plan_overhead_ratio: overhead },
      goals: [{ what: "p50 webhook → final comment, Slipway ÷ floor", target: `≤ ${GOAL_RATIO}`, value: String(overhead), met: overhead <= GOAL_RATIO }],
      table: {
        title: `plan_overhead — ${ran.length}${ran.length < PRS ? ` of ${PRS}` : ""} PRs, one project each, plan step \`${STEP}\`, ${SLOTS} in flight`,
        headers: ["path", "p50", "p90", "p99", "max", "mean"],
        rows: [
          ["Slipway: opened delivery → final comment", ms(s.p50_ms), ms(s.p90_ms), ms(s.p99_ms), ms(s.max_ms), ms(s.mean_ms)],
          ["floor: shallow fetch + checkout + step (shell)", ms(f.p50_ms), ms(f.p90_ms), ms(f.p99_ms), ms(f.max_ms), ms(f.mean_ms)],
          ["ratio Slipway ÷ floor", overhead, ratio(s.p90_ms, f.p90_ms), ratio(s.p99_ms, f.p99_ms), "", ratio(s.mean_ms, f.mean_ms)],
        ],
        notes: [
          ...(ran.length < PRS
            ? [`Only ${ran.length} of ${PRS} PRs were started within the ${BUDGET_MS / 1000} s budget; both sides are measured over those.`]
            : []),
          `Both sides run ${SLOTS} PRs at a time (Slipway: SLIPWAY_CONCURRENCY=${SLOTS}, one process); each PR is timed alone, no queueing.`,
          `Blocks of ${SLOTS} PRs alternate between Slipway and the floor (S, F, F, S, …), so that load from elsewhere on the machine weighs on both alike.`,
          `Inside Slipway the plan step itself took a median of ${ms(median(stepMs))} (its own log); the floor does not post a comment or check run.`,
        ],
      },
      detail: {
        prs: PRS,
        prs_measured: ran.length,
        budget_s: BUDGET_MS / 1000,
        slots: SLOTS,
        step: STEP,
        slipway: s,
        floor: f,
        slipway_step_p50_ms: median(stepMs),
        floor_method: "per PR: git init + git fetch --depth 1 refs/pull/N/head + checkout + sh -c true, 2 at a time, in blocks alternating with Slipway's",
      },
    };
  } finally {
    await stack.stop();
    await rm(floorRoot, { recursive: true, force: true });
  }
}

export const planOverhead: Bench = { name: "plan_overhead", summary: "webhook → final comment for 200 one-project PRs vs fetch + step in a shell", run };
