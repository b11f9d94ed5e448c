// console_p99_ratio: the console's environments page (signed in, 4 repositories each with two
// environments deployed and an audit trail) against GET /healthz, both under 32 concurrent
// keep-alive connections on one webhook server. Blocks of each alternate, so a burst of other
// work on this shared machine lands on both sides.
import { freePort } from "../test/support/private-redis.ts";
import { loadavg } from "node:os";
import { Redis } from "ioredis";
import { AuditStore } from "../src/state/audit-store.ts";
import { DeployStore } from "../src/state/deploy-store.ts";
import { TEST_REDIS_URL } from "../test/support/redis.ts";
import { startBenchStack, type BenchStack } from "./lib/bench-stack.ts";
import { runLoad } from "./lib/load-generator.ts";
import { median, ms, percentile, progress, round } from "./lib/stats.ts";
import type { Bench, BenchResult } from "./lib/types.ts";

const CONNECTIONS = 32;
const BLOCK_MS = 1500;
const BLOCKS = 8;
const REPOS = 4;
const GOAL = 3;

async function seed(stack: BenchStack): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const deploys = new DeployStore(redis, stack.prefix);
    const audit = new AuditStore(redis, stack.prefix, { retentionMs: 24 * 3600 * 1000, maxEvents: 100_000 });
    stack.sim.scenario.addUser("bench-user");
    for (let r = 0; r < REPOS; r++) {
      const repo = `acme/infra-${r}`;
      await stack.sim.scenario.createRepo({ owner: "acme", name: `infra-${r}` });
      stack.sim.scenario.addUser("bench-user", { permission: { [repo]: "write" } });
      const sha = String(r).repeat(40);
      await deploys.create(repo, sha, {
        sha,
        pullNumber: r + 1,
        projects: [
          { name: "network-staging", environment: "staging", dependsOn: [] },
          { name: "network-production", environment: "production", dependsOn: ["network-staging"] },
        ],
        environments: {
          staging: { name: "staging", deploymentId: 1, state: "success" },
          production: { name: "production", deploymentId: 2, state: "waiting", reason: "manual: waits for /apply production" },
        },
        results: {
          "network-staging": { project: "network-staging", dir: "n", environment: "staging", status: "changes", output: "", truncated: false, durationMs: 5 },
        },
      });
      for (let i = 0; i < 50; i++) {
        await audit.append({
          kind: i % 2 ? "approval" : "apply",
          actor: `user${i % 5}`,
          repo,
          pull: r + 1,
          sha,
          project: "network-staging",
          environment: "staging",
          via: "comment",
        });
      }
    }
  } finally {
    redis.disconnect();
  }
}

/** Signs in through the simulator's OAuth flow as a browser would; the session cookie. */
async function signIn(base: string, stack: BenchStack): Promise<string> {
  stack.sim.signInAs("bench-user");
  const start = await fetch(`${base}/login`, { redirect: "manual" });
  const stateCookie = start.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const authorize = await fetch(start.headers.get("location")!, { redirect: "manual" });
  const back = new URL(authorize.headers.get("location")!);
  const done = await fetch(`${base}${back.pathname}${back.search}`, { redirect: "manual", headers: { cookie: stateCookie } });
  if (done.headers.get("location") !== "/") throw new Error(`sign-in failed: ${done.status}`);
  return done.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

async function run(): Promise<BenchResult> {
  const stack = await startBenchStack("console");
  try {
    await seed(stack);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const slipway = await stack.slipway({
      role: "server",
      env: {
        PORT: String(port),
        SLIPWAY_PUBLIC_URL: base,
        GITHUB_CLIENT_ID: stack.sim.clientId,
        GITHUB_CLIENT_SECRET: stack.sim.clientSecret,
        SLIPWAY_SESSION_SECRET: "bench-console-session-secret-0123456789",
      },
    });
    const cookie = await signIn(slipway.url, stack);
    const page = await fetch(`${base}/`, { headers: { cookie } });
    const html = await page.text();
    if (page.status !== 200 || !html.includes("acme/infra-3") || !html.includes("network-production"))
      throw new Error(`the environments page is not what it should be (${page.status})`);
    const load = loadavg()[0]!.toFixed(1);
    const health: number[] = [];
    const env: number[] = [];
    let errors = 0;
    const block = async (path: string, headers: Record<string, string>, into: number[], keep: boolean) => {
      const r = await runLoad({
        url: `${base}${path}`,
        method: "GET",
        connections: CONNECTIONS,
        durationMs: keep ? BLOCK_MS : 1000,
        next: () => ({ headers, body: "" }),
      });
      if (keep) {
        into.push(...r.latencies);
        errors += r.errorCount;
      }
    };
    // Warm-up of both, then alternating measured blocks.
    await block("/healthz", {}, health, false);
    await block("/", { cookie }, env, false);
    for (let b = 0; b < BLOCKS; b++) {
      await block("/healthz", {}, health, true);
      await block("/", { cookie }, env, true);
      progress("console_p99_ratio", `block ${b + 1}/${BLOCKS}: ${health.length} healthz, ${env.length} environments answers so far`);
    }
    const hp99 = percentile(health, 99);
    const ep99 = percentile(env, 99);
    const ratio = round(ep99 / hp99, 2);
    const rps = (n: number) => Math.round(n / ((BLOCKS * BLOCK_MS) / 1000));
    return {
      headline: { console_p99_ratio: ratio },
      goals: [
        {
          what: `environments page p99 / GET /healthz p99 at ${CONNECTIONS} connections`,
          target: `≤ ${GOAL}`,
          value: String(ratio),
          met: ratio <= GOAL && errors === 0,
        },
      ],
      table: {
        title: "console_p99_ratio: the environments page vs GET /healthz, 32 connections",
        headers: ["route", "answers", "per second", "p50", "p99", "max"],
        rows: [
          ["GET /healthz", health.length, rps(health.length), ms(round(median(health), 1)), ms(round(hp99, 1)), ms(round(percentile(health, 100), 1))],
          [
            `GET / (${REPOS} repositories, signed in)`,
            env.length,
            rps(env.length),
            ms(round(median(env), 1)),
            ms(round(ep99, 1)),
            ms(round(percentile(env, 100), 1)),
          ],
        ],
        notes: [
          `One webhook server (SLIPWAY_ROLE=server); ${BLOCKS} alternating blocks of ${BLOCK_MS / 1000} s per route after a 1 s warm-up of each; errors: ${errors}.`,
          "Each page reads the session from Redis and the access list held in the process (≤ 5 min old), then per repository its deploys and newest audit events through a",
          "1-second per-process cache shared by concurrent requests, and renders the Eta template. Without that cache the page measured 21× (182/s).",
          `Load average when it started: ${load} on this machine (other work shows in both p99s).`,
        ],
      },
      detail: { load_average: Number(load), connections: CONNECTIONS, healthz_p99_ms: round(hp99, 1), environments_p99_ms: round(ep99, 1), errors, ratio },
    };
  } finally {
    await stack.stop();
  }
}

export const consoleLatency: Bench = {
  name: "console_p99_ratio",
  summary: "the console's environments page p99 vs GET /healthz under 32 connections",
  run,
};
