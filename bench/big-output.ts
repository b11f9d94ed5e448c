// big_output: a plan printing 50 MB — the peak RSS growth of the worker process that runs it,
// sampled every 100 ms from /proc. The worker runs apart from the webhook server so the figure is
// the worker's alone; a small plan runs first so that growth from loading code is not counted.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "../test/support/redis.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { sleep } from "./lib/call-watch.ts";
import { readRssMb, sampleRss } from "./lib/rss-sampler.ts";
import { median, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const OUTPUT_MB = 50;
const LINE = `+ resource "null_resource" "r" { id = "${"a".repeat(57)}" }`; // 100 bytes with its newline
const LINES = Math.floor((OUTPUT_MB * 1024 * 1024) / (LINE.length + 1));
const GOAL_MB = 32;

const BIG_SH = `#!/bin/sh
# ${OUTPUT_MB} MB of plan output: ${LINES} lines of ${LINE.length + 1} bytes, as fast as the pipe takes them.
yes '${LINE}' | head -n ${LINES}
echo "Plan: 1 to add, 0 to change, 0 to destroy."
exit 2
`;

const CONFIG = `version: 1
projects:
  - name: small
    dir: small
    workflow: bench
  - name: big
    dir: big
    workflow: bench
workflows:
  bench:
    plan: [{run: "sh plan.sh", timeout_seconds: 300}]
`;

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("big-output");
  try {
    const { sim } = stack;
    const gh = sim.scenario;
    const server = await stack.slipway({ role: "server" });
    const worker = await stack.slipway({ role: "worker", concurrency: 2 });
    sim.setWebhookTarget(`${server.url}/api/github/webhooks`);
    gh.addUser("alice", { permission: "write" });
    await gh.createRepo({
      owner: "acme",
      name: "infra",
      files: { ".slipway.yml": CONFIG, "small/plan.sh": "echo small plan\nexit 2\n", "big/plan.sh": BIG_SH, "small/main.tf": "#\n", "big/main.tf": "#\n" },
    });
    const planned = async (branch: string, file: string, timeoutMs: number) => {
      const pr = await gh.openPullRequest({ repo: "acme/infra", author: "alice", branch, files: { [file]: `# ${branch}\n` } });
      const started = Date.now();
      await gh.waitFor(() => gh.comments(pr.repo, pr.number)[0]?.body.includes(pr.headSha.slice(0, 7)), {
        timeoutMs,
        intervalMs: 100,
        what: `the plan of ${branch}`,
      });
      await sim.idle();
      return { pr, seconds: (Date.now() - started) / 1000 };
    };

    await planned("warm-up", "small/main.tf", 60_000);
    // The resting size: a few samples once the warm-up plan is done.
    const rest: number[] = [];
    for (let i = 0; i < 10; i++) {
      rest.push(readRssMb(worker.pid) ?? 0);
      await sleep(100);
    }
    const baseline = median(rest);
    const rss = sampleRss([worker.pid]);
    const big = await planned("big", "big/main.tf", 180_000);
    await sleep(1000);
    rss.stop();
    const peak = rss.peaks().get(worker.pid) ?? 0;
    const after = readRssMb(worker.pid) ?? 0;
    const growth = round(peak - baseline, 1);

    const body: string = gh.comments(big.pr.repo, big.pr.number)[0]!.body;
    const check = gh.checkRuns(big.pr.repo, { headSha: big.pr.headSha }).find((c) => c.name === "slipway/plan: big");
    const samples = rss.samples(worker.pid).length;
    // The full log Slipway kept on disk: proof that all of the output went through the worker.
    const logFile = path.join(worker.dataDir, "runs", "acme", "infra", `pr-${big.pr.number}`, big.pr.headSha, "big.plan.log");
    const logMb = round(((await stat(logFile).catch(() => undefined))?.size ?? 0) / 2 ** 20, 1);
    const diskLines = await countLines(logFile);
    const redisLines = await longestRunLog(stack.prefix);
    return {
      headline: { big_output_rss_mb: growth },
      goals: [{ what: `peak RSS growth of the worker for a ${OUTPUT_MB} MB plan`, target: `≤ ${GOAL_MB} MB`, value: `${growth} MB`, met: growth <= GOAL_MB }],
      table: {
        title: `big_output — one plan printing ${OUTPUT_MB} MB, worker process RSS (every 100 ms, ${samples} samples)`,
        headers: ["figure", "value"],
        rows: [
          ["worker RSS at rest (after a small plan)", `${round(baseline, 1)} MB`],
          ["worker peak RSS during the big plan", `${round(peak, 1)} MB`],
          ["peak growth", `${growth} MB`],
          ["worker RSS 1 s after the comment", `${round(after, 1)} MB`],
          ["plan output through the worker (its full log on disk)", `${logMb} MB`],
          ["lines in its log on disk / in the run's log in Redis (what the console shows)", `${diskLines} / ${redisLines}`],
          ["webhook → comment", `${big.seconds.toFixed(1)} s`],
          ["comment size / check conclusion", `${body.length} chars / ${check?.conclusion ?? "none"}`],
        ],
      },
      detail: {
        output_mb: OUTPUT_MB,
        full_log_mb: logMb,
        disk_log_lines: diskLines,
        redis_log_lines: redisLines,
        baseline_mb: round(baseline, 1),
        peak_mb: round(peak, 1),
        after_mb: round(after, 1),
        seconds: round(big.seconds, 1),
        comment_chars: body.length,
        check: check?.conclusion ?? null,
        cut_note: /output (cut|shortened)|omitted/i.test(body),
      },
    };
  } finally {
    await stack.stop();
  }
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** Lines in the longest run log under the prefix (the big plan's): the writer's `next` counter. */
async function longestRunLog(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:{runlog}:*:meta`);
    const counts = await Promise.all(keys.map(async (k) => Number((await redis.hget(k, "next")) ?? 0)));
    return Math.max(0, ...counts);
  } finally {
    redis.disconnect();
  }
}

export const bigOutput: Bench = { name: "big_output", summary: "one plan printing 50 MB: peak RSS growth of the worker", run };
