// audit_overhead: plan_overhead's workload (PRs changing one project each of a 200-project repo,
// plan step `true`, 2 in flight on one process, from the `pull_request.opened` delivery to
// Slipway's final comment) with the audit trail and the metrics on (the defaults) and with both off
// (SLIPWAY_AUDIT=off, SLIPWAY_METRICS=off), interleaved in the same run.
// Two Slipway processes run side by side, each a separate installation (a prefix of its own) with
// a repository of its own, 100 PRs each; the simulator's echoes reach the right one through a
// router (lib/webhook-router.ts). Blocks of BLOCK PRs (one per slot) alternate between them (on,
// off, off, on, …) so that the load other work puts on the machine weighs on both alike. No new
// pair of blocks starts after BUDGET_MS: both sides always run the same PRs' count.
import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "../test/support/redis.ts";
import type { PullInfo } from "../test/support/github-simulator/index.ts";
import type { SlipwayProcess } from "../test/support/slipway-process.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { median, ms, progress, ratio } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";
import { startWebhookRouter } from "./lib/webhook-router.ts";
import { preparePlanWorkload, PRS, SLOTS, STEP, stepTimes, summary, timePlans } from "./plan-overhead.ts";

const GOAL_RATIO = 1.05;
const PER_SIDE = PRS / 2;
const BLOCK = 2;
const BUDGET_MS = 100_000;
const MODES = ["on", "off"] as const;
type Mode = (typeof MODES)[number];
const ENV: Record<Mode, Record<string, string>> = {
  on: { SLIPWAY_AUDIT: "on", SLIPWAY_METRICS: "on" },
  off: { SLIPWAY_AUDIT: "off", SLIPWAY_METRICS: "off" },
};

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("audit-overhead");
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const routes = new Map<string, string>();
  const router = await startWebhookRouter(routes);
  try {
    await redis.connect();
    const side = {} as Record<Mode, { slipway: SlipwayProcess; pulls: PullInfo[]; ms: number[] }>;
    for (const mode of MODES) {
      const { repo, pulls } = await preparePlanWorkload(stack, "audit_overhead", `infra-${mode}`, PER_SIDE);
      const slipway = await stack.slipway({ concurrency: SLOTS, env: ENV[mode] }, mode);
      routes.set(repo.fullName.toLowerCase(), `${slipway.url}/api/github/webhooks`);
      side[mode] = { slipway, pulls, ms: [] };
    }
    stack.sim.setWebhookTarget(router.url);

    // ABBA blocks: on, off, off, on, on, off, …
    const budgetEnd = Date.now() + BUDGET_MS;
    const blocks = PER_SIDE / BLOCK;
    for (let b = 0; b < blocks; b++) {
      // Checked per pair of blocks, so that both sides run the same number of PRs.
      if (Date.now() > budgetEnd) break;
      const order: Mode[] = b % 2 === 0 ? ["on", "off"] : ["off", "on"];
      for (const mode of order) {
        const s = side[mode];
        const timed = await timePlans(stack, s.slipway, s.pulls.slice(b * BLOCK, (b + 1) * BLOCK), Infinity);
        s.ms.push(...timed.ms);
      }
      if ((b + 1) % 10 === 0)
        progress("audit_overhead", `block ${b + 1} of ${blocks}: median so far on ${ms(median(side.on.ms))}, off ${ms(median(side.off.ms))}`);
    }

    // The proof that off means off: what each installation wrote under its prefix.
    const audited = { on: 0, off: 0 };
    const metricKeys = { on: 0, off: 0 };
    for (const mode of MODES) {
      const prefix = side[mode].slipway.prefix;
      audited[mode] = await redis.xlen(`${prefix}:{audit}:all`);
      metricKeys[mode] = await redis.exists(`${prefix}:{metrics}:counters`, `${prefix}:{metrics}:histograms`);
    }
    if (audited.off > 0 || metricKeys.off > 0)
      throw new Error(`with audit and metrics off, ${audited.off} audit events and ${metricKeys.off} metrics keys were written`);
    if (audited.on === 0 || metricKeys.on === 0) throw new Error("with audit and metrics on, no audit event or no metric was written");

    const on = summary(side.on.ms);
    const off = summary(side.off.ms);
    const overhead = ratio(median(side.on.ms), median(side.off.ms));
    const measured = side.on.ms.length + side.off.ms.length;
    const steps = { on: median(stepTimes(side.on.slipway)), off: median(stepTimes(side.off.slipway)) };
    return {
      headline: { audit_overhead_ratio: overhead },
      goals: [
        { what: "p50 webhook → final comment, audit + metrics on ÷ off", target: `≤ ${GOAL_RATIO}`, value: String(overhead), met: overhead <= GOAL_RATIO },
      ],
      table: {
        title: `audit_overhead — ${measured}${measured < PRS ? ` of ${PRS}` : ""} PRs, one project each, plan step \`${STEP}\`, ${SLOTS} in flight, audit + metrics on vs off`,
        headers: ["Slipway", "PRs", "p50", "p90", "p99", "max", "mean"],
        rows: [
          ["audit + metrics on (defaults)", side.on.ms.length, ms(on.p50_ms), ms(on.p90_ms), ms(on.p99_ms), ms(on.max_ms), ms(on.mean_ms)],
          ["SLIPWAY_AUDIT=off, SLIPWAY_METRICS=off", side.off.ms.length, ms(off.p50_ms), ms(off.p90_ms), ms(off.p99_ms), ms(off.max_ms), ms(off.mean_ms)],
          ["ratio on ÷ off", "", overhead, ratio(on.p90_ms, off.p90_ms), ratio(on.p99_ms, off.p99_ms), "", ratio(on.mean_ms, off.mean_ms)],
        ],
        notes: [
          ...(measured < PRS ? [`Only ${measured} of ${PRS} PRs were started within the ${BUDGET_MS / 1000} s budget (as many on each side).`] : []),
          `Two processes side by side (SLIPWAY_CONCURRENCY=${SLOTS} each, a prefix and a 200-project repository each); blocks of ${BLOCK} PRs alternate between them (on, off, off, on, …), ${SLOTS} in flight, one process busy at a time.`,
          `On: ${audited.on} audit events in Redis (no export configured), metrics recorded and flushed once a second, nothing scraping /metrics. Off: no audit event, no metrics key.`,
          `Inside Slipway the plan step itself took a median of ${ms(steps.on)} (on) and ${ms(steps.off)} (off), from its own log.`,
        ],
      },
      detail: {
        prs: PRS,
        prs_measured: { on: side.on.ms.length, off: side.off.ms.length },
        block: BLOCK,
        budget_s: BUDGET_MS / 1000,
        slots: SLOTS,
        step: STEP,
        on,
        off,
        step_p50_ms: steps,
        audit_events: audited,
      },
    };
  } finally {
    redis.disconnect();
    await stack.stop();
    await router.close();
  }
}

export const auditOverhead: Bench = {
  name: "audit_overhead",
  summary: "plan_overhead's workload with audit + metrics on vs off (SLIPWAY_AUDIT, SLIPWAY_METRICS), interleaved in one run",
  run,
};
