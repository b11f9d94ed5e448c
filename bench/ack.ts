// ack: signed `pull_request.synchronize` deliveries at 64 concurrent keep-alive connections:
// throughput and latency to the 2xx of Slipway's webhook server, beside a bare Probot app on
// Fastify that only verifies the signature, in the same run. The two are measured in alternating
// 10 s rounds (never at the same time: they would share the 2 cores), 20 s each in all.
// Every delivery is a new head SHA and a new delivery id, so each one is a real intent in Redis.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { IntakeStream } from "../src/queue/intake-stream.ts";
import { TEST_REDIS_URL } from "../test/support/redis.ts";
import { stopChild } from "../test/support/slipway-process.ts";
import { startBenchStack } from "./lib/bench-stack.ts";
import { runLoad, type LoadRequest, type LoadResult } from "./lib/load-generator.ts";
import { ms, percentile, ratio, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const CONNECTIONS = 64;
const ROUND_MS = 10_000;
const ROUNDS = 2;
const WARMUP_MS = 3_000;
const GOAL_RATIO = 1.3;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function startBareApp(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/bare-probot-app.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = /"url":"(http:\/\/[^"]+)"/.exec(output);
    if (m) return { url: `${m[1]}/api/github/webhooks`, child };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopChild(child);
  throw new Error(`the bare Probot app did not start:\n${output}`);
}

/** A new head SHA per request, in the exact bytes of a real synchronize payload, signed. */
function deliveryFactory(template: { body: string; headers: Record<string, string>; sha: string }, secret: string): () => LoadRequest {
  const parts = template.body.split(template.sha);
  let n = 0;
  return () => {
    const sha = (++n).toString(16).padStart(8, "0") + randomUUID().replace(/-/g, "");
    const body = parts.join(sha.slice(0, 40));
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    return { body, headers: { ...template.headers, "x-github-delivery": randomUUID(), "x-hub-signature-256": signature } };
  };
}

function merge(results: LoadResult[]): LoadResult {
  const out: LoadResult = { requests: 0, ok: 0, errors: {}, errorCount: 0, latencies: [], seconds: 0 };
  for (const r of results) {
    out.requests += r.requests;
    out.ok += r.ok;
    out.errorCount += r.errorCount;
    out.seconds += r.seconds;
    for (const l of r.latencies) out.latencies.push(l);
    for (const [k, v] of Object.entries(r.errors)) out.errors[k] = (out.errors[k] ?? 0) + v;
  }
  return out;
}

function row(name: string, r: LoadResult): (string | number)[] {
  return [
    name,
    r.requests,
    Math.round(r.ok / r.seconds),
    ms(percentile(r.latencies, 50)),
    ms(percentile(r.latencies, 99)),
    ms(percentile(r.latencies, 100)),
    r.errorCount,
  ];
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("ack");
  let bare: ChildProcess | undefined;
  try {
    const { sim } = stack;
    // A real synchronize payload: a PR and a push in the simulator, recorded but not sent.
    const gh = sim.scenario;
    gh.addUser("alice", { permission: "write" });
    await gh.createRepo({ owner: "acme", name: "infra", fixture: "two-projects" });
    const pr = await gh.openPullRequest({ repo: "acme/infra", author: "alice", branch: "ack", files: { "alpha/desired.txt": "v2\n" } });
    const pushed = await gh.pushToPullRequest(pr, { "alpha/desired.txt": "v3\n" });
    const sync = sim.deliveries.find((d) => d.event === "pull_request" && d.action === "synchronize")!;
    const next = deliveryFactory({ body: sync.body, headers: sync.headers, sha: pushed.headSha }, sim.webhookSecret);

    // Server role: the process that answers GitHub; workers would compete for the same 2 cores.
    const slipway = await stack.slipway({ role: "server" });
    const slipwayUrl = `${slipway.url}/api/github/webhooks`;
    const started = await startBareApp({ APP_ID: String(sim.appId), PRIVATE_KEY: sim.privateKey, WEBHOOK_SECRET: sim.webhookSecret, PORT: "0" });
    bare = started.child;

    const load = (url: string, durationMs: number) => runLoad({ url, connections: CONNECTIONS, durationMs, next });
    await load(slipwayUrl, WARMUP_MS);
    await load(started.url, WARMUP_MS);
    const slipwayRounds: LoadResult[] = [];
    const bareRounds: LoadResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bareRounds.push(await load(started.url, ROUND_MS));
      slipwayRounds.push(await load(slipwayUrl, ROUND_MS));
    }
    const s = merge(slipwayRounds);
    const b = merge(bareRounds);

    // Every 2xx must be an intent in Redis (unique SHAs, so none is a duplicate).
    const redis = new Redis(TEST_REDIS_URL);
    const entries = await new IntakeStream(redis, stack.prefix).entries().finally(() => redis.disconnect());
    const queued = entries.reduce((n, e) => n + (e.intents?.length ?? 0), 0);

    const p99Ratio = ratio(percentile(s.latencies, 99), percentile(b.latencies, 99));
    const errors = s.errorCount;
    return {
      headline: { ack_p99_ratio: p99Ratio, ack_errors: errors },
      goals: [
        { what: "p99 to the 2xx, Slipway ÷ bare Probot", target: `≤ ${GOAL_RATIO}`, value: String(p99Ratio), met: p99Ratio <= GOAL_RATIO },
        { what: "errors (non-2xx, socket errors, timeouts)", target: "0", value: String(errors), met: errors === 0 },
      ],
      table: {
        title: `ack — signed pull_request.synchronize, ${CONNECTIONS} connections, ${(ROUNDS * ROUND_MS) / 1000} s each`,
        headers: ["server", "requests", "2xx/s", "p50", "p99", "max", "errors"],
        rows: [
          row("Slipway (SLIPWAY_ROLE=server)", s),
          row("bare Probot + Fastify", b),
          [
            "ratio Slipway ÷ bare",
            "",
            ratio(s.ok / s.seconds, b.ok / b.seconds),
            ratio(percentile(s.latencies, 50), percentile(b.latencies, 50)),
            p99Ratio,
            "",
            "",
          ],
        ],
        notes: [
          `Alternating ${ROUND_MS / 1000} s rounds after a ${WARMUP_MS / 1000} s warm-up of each; load generator, servers and Redis share the machine's cores.`,
          `Slipway put ${queued} intents in Redis (warm-up included; ${entries.length} appends, as deliveries that arrive together share one) for ${s.ok} measured 2xx answers.`,
        ],
      },
      detail: {
        connections: CONNECTIONS,
        seconds_each: (ROUNDS * ROUND_MS) / 1000,
        slipway: {
          requests: s.requests,
          ok: s.ok,
          rps: round(s.ok / s.seconds, 0),
          p50_ms: round(percentile(s.latencies, 50), 2),
          p99_ms: round(percentile(s.latencies, 99), 2),
          max_ms: round(percentile(s.latencies, 100), 2),
          errors: s.errors,
        },
        bare_probot: {
          requests: b.requests,
          ok: b.ok,
          rps: round(b.ok / b.seconds, 0),
          p50_ms: round(percentile(b.latencies, 50), 2),
          p99_ms: round(percentile(b.latencies, 99), 2),
          max_ms: round(percentile(b.latencies, 100), 2),
          errors: b.errors,
        },
        p50_ratio: ratio(percentile(s.latencies, 50), percentile(b.latencies, 50)),
        throughput_ratio: ratio(s.ok / s.seconds, b.ok / b.seconds),
        intents_appended: queued,
        appends: entries.length,
      },
    };
  } finally {
    if (bare) await stopChild(bare);
    await stack.stop();
  }
}

export const ack: Bench = { name: "ack", summary: "webhook ack latency at 64 connections vs a bare Probot app", run };
