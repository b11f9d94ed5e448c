// log_latency: from a plan step printing a line to an SSE client of GET /api/v1/runs/:id/log
// receiving it, with 20 runs streaming at once (one worker process, SLIPWAY_CONCURRENCY=20, and
// one webhook server apart from it). Each step prints `tick <date +%s%N>` every 50 ms once the
// bench opens a gate (a file), after all 20 clients are connected; the client compares with its
// own clock on receipt (same machine, same clock). Then: what a 50 MB log costs Redis, stored
// whole as plan files are (one plain value) and as the run log stores it (gzip members + tail).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { runLogKeys } from "../src/logs/run-log-keys.ts";
import { RedisRunLogWriter } from "../src/logs/run-log-writer.ts";
import { TEST_REDIS_URL, deleteKeysWithPrefix } from "../test/support/redis.ts";
import { openSse, type SseConnection } from "../test/support/sse-client.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { sleep } from "./lib/call-watch.ts";
import { ms, percentile, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 20);
const TICKS = 60;
const GOAL_MS = 250;
const TOKEN = "bench-log-latency-token-0123456789";
const LOG_MB = 50;

const CONFIG = `version: 1
projects:
  - name: app
    dir: app
    workflow: ticks
workflows:
  ticks:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 300}]
`;
const PLAN_SH = `echo ready
while [ ! -e "$BENCH_LOG_GATE" ]; do sleep 0.05; done
i=0
while [ $i -lt ${TICKS} ]; do echo "tick $(date +%s%N)"; sleep 0.05; i=$((i+1)); done
`;

const nowMs = () => performance.timeOrigin + performance.now();

async function streamLatency(): Promise<{ latencies: number[]; ended: number; seconds: number }> {
  const stack = await startBenchStack("log-latency");
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-log-"));
  const gate = path.join(dir, "gate");
  const conns: SseConnection[] = [];
  try {
    const { sim } = stack;
    const gh = sim.scenario;
    const server = await stack.slipway({ role: "server", env: { SLIPWAY_API_TOKEN: TOKEN } });
    await stack.slipway({ role: "worker", concurrency: RUNS, env: { BENCH_LOG_GATE: gate } });
    sim.setWebhookTarget(`${server.url}/api/github/webhooks`);
    gh.addUser("alice", { permission: "write" });
    for (let i = 0; i < RUNS; i++) {
      await gh.createRepo({ owner: "acme", name: `app-${i}`, files: { ".slipway.yml": CONFIG, "app/plan.sh": PLAN_SH, "app/main.tf": "#\n" } });
      await gh.openPullRequest({ repo: `acme/app-${i}`, author: "alice", branch: "ticks", files: { "app/main.tf": "# ticks\n" } });
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const ids = await gh.waitFor(
      async () => {
        const { runs } = (await (await fetch(`${server.url}/api/v1/runs?state=running`, { headers: auth })).json()) as {
          runs: { id: string; kind: string; log?: boolean }[];
        };
        const logged = runs.filter((r) => r.kind === "plan" && r.log);
        return logged.length === RUNS ? logged.map((r) => r.id) : null;
      },
      { timeoutMs: 180_000, intervalMs: 200, what: `${RUNS} plan runs with a log` },
    );
    const latencies: number[] = [];
    let ended = 0;
    const readers = await Promise.all(
      ids.map(async (id) => {
        const conn = await openSse(`${server.url}/api/v1/runs/${encodeURIComponent(id)}/log`, auth);
        conns.push(conn);
        // Wrapped: an async function returning the loop's promise would wait for the loop itself.
        const done = (async () => {
          for (;;) {
            const e = await conn.next();
            if (!e) return;
            if (e.event === "end") return void ended++;
            if (e.event !== "message") continue;
            const tick = /^tick (\d+)$/.exec((JSON.parse(e.data) as { line: string }).line);
            if (tick) latencies.push(nowMs() - Number(BigInt(tick[1]!) / 1000n) / 1000);
          }
        })();
        return { done };
      }),
    );
    const started = Date.now();
    await writeFile(gate, "open\n");
    await Promise.race([Promise.all(readers.map((r) => r.done)), sleep(180_000)]);
    return { latencies, ended, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const c of conns) c.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Redis bytes of a 50 MB log: whole in one value (as plan files are kept) vs the run log's layout. */
async function redisBytes(): Promise<{ plainBytes: number; gzipBytes: number; tailBytes: number; logBytes: number; lines: number }> {
  const prefix = `slipway-bench-log-bytes-${randomBytes(4).toString("hex")}`;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const writer = new RedisRunLogWriter(
      redis,
      prefix,
      { runId: "plan/acme/app/1/abc", repo: "acme/app", kind: "plan", startedAt: new Date().toISOString() },
      { maxQueuedBytes: 256 * 1024 * 1024 },
    );
    const text: string[] = [];
    let bytes = 0;
    let n = 0;
    while (bytes < LOG_MB * 1024 * 1024) {
      const line = `module.app.aws_security_group_rule.ingress["${n}-${randomBytes(4).toString("hex")}"]: Refreshing state... [id=sgrule-${n * 7919}]`;
      writer.line(line, "app", "plan");
      text.push(line);
      bytes += line.length + 1;
      n++;
      if (n % 20_000 === 0) await writer.flush();
    }
    await writer.end();
    const keys = runLogKeys(prefix, "plan/acme/app/1/abc");
    const usage = async (key: string) => Number((await redis.memory("USAGE", key, "SAMPLES", 0)) ?? 0);
    const gzipBytes = await usage(keys.gz);
    const tailBytes = await usage(keys.lines);
    const metaBytes = await usage(keys.meta);
    await redis.set(`${prefix}:plain`, text.join("\n") + "\n");
    const plainBytes = await usage(`${prefix}:plain`);
    return { plainBytes, gzipBytes: gzipBytes + metaBytes, tailBytes, logBytes: bytes, lines: n };
  } finally {
    redis.disconnect();
    await deleteKeysWithPrefix(prefix);
  }
}

async function run(): Promise<BenchResult> {
  const s = await streamLatency();
  const b = await redisBytes();
  const p50 = round(percentile(s.latencies, 50), 1);
  const p99 = round(percentile(s.latencies, 99), 1);
  const max = round(Math.max(...s.latencies), 1);
  const mb = (n: number) => `${round(n / 2 ** 20, 2)} MB`;
  return {
    headline: { log_latency_ms: p99 },
    goals: [{ what: `log line latency p99, ${RUNS} runs streaming at once`, target: `≤ ${GOAL_MS} ms`, value: ms(p99), met: p99 <= GOAL_MS }],
    table: {
      title: `log_latency — step prints a line → SSE client receives it, ${RUNS} runs streaming at once; Redis bytes of a ${LOG_MB} MB log`,
      headers: ["figure", "value"],
      rows: [
        ["lines received (expected)", `${s.latencies.length} (${RUNS * TICKS})`],
        ["runs that sent their end event", `${s.ended} of ${RUNS}`],
        ["latency p50 / p99 / max", `${ms(p50)} / ${ms(p99)} / ${ms(max)}`],
        [`${LOG_MB} MB log (${b.lines} lines) as one plain Redis value`, mb(b.plainBytes)],
        [`${LOG_MB} MB log as the run log keeps it: gzip members + meta`, mb(b.gzipBytes)],
        ["… plus its live tail (stream) after the run", mb(b.tailBytes)],
      ],
      notes: [
        "Node SSE client (test/support/sse-client.ts) over HTTP, not a browser's EventSource; server, worker, Redis, simulator and clients share the machine's cores (other work was running on it too).",
        "Bytes are Redis MEMORY USAGE (SAMPLES 0); each line of the 50 MB log carries a random 8-hex-digit id, so it compresses worse than typical plan output.",
      ],
    },
    detail: {
      runs: RUNS,
      ticks: TICKS,
      samples: s.latencies.length,
      ended: s.ended,
      p50_ms: p50,
      p99_ms: p99,
      max_ms: max,
      seconds: round(s.seconds, 1),
      ...b,
    },
  };
}

export const logLatency: Bench = { name: "log_latency", summary: "step line → SSE client, 20 runs streaming; Redis bytes of a 50 MB log", run };
