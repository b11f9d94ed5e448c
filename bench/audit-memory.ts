import { Redis } from "ioredis";
import { AuditStore } from "../src/state/audit-store.ts";
const redis = new Redis("redis://127.0.0.1:6379");
const prefix = `slipway-test-mem-${process.pid}`;
const N = Number(process.argv[2] ?? 100000);
const REPOS = 50;
const store = new AuditStore(redis, prefix, { retentionMs: 30 * 24 * 3600 * 1000, maxEvents: 10_000_000 });
const before = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
const kinds = ["plan", "apply", "approval", "lock.acquired", "lock.released", "deploy.waiting"] as const;
const hex = (n: number) => [...Array(n)].map(() => Math.floor(Math.random() * 16).toString(16)).join("");
let batch: Promise<unknown>[] = [];
for (let i = 0; i < N; i++) {
  const pull = 1 + (i % 400);
  batch.push(
    store.append({
      kind: kinds[i % kinds.length]!,
      actor: ["alice", "carol", "slipway", "dependabot[bot]"][i % 4]!,
      repo: `acme-corp/service-${i % REPOS}`,
      pull,
      sha: hex(40),
      project: `network-${i % 7}`,
      environment: i % 2 ? "production" : "staging",
      outcome: "changes",
      ...(i % 5 === 0 ? { reason: "production is manual: waiting until an approver comments `/apply production`" } : {}),
      plan_digest: hex(64),
      delivery: crypto.randomUUID(),
      via: "comment",
    }),
  );
  if (batch.length === 200) {
    await Promise.all(batch);
    batch = [];
  }
}
await Promise.all(batch);
const after = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
let streams = 0;
for (const k of [`${prefix}:{audit}:all`, ...Array.from({ length: REPOS }, (_, r) => `${prefix}:{audit}:repo:acme-corp/service-${r}`)])
  streams += Number(await redis.memory("USAGE", k, "SAMPLES", "0"));
console.log(
  JSON.stringify({
    N,
    usedMemoryDelta: after - before,
    memoryUsageStreams: streams,
    bytesPerEvent: Math.round(streams / N),
    sample: JSON.stringify((await store.page({}, 1)).events[0]).length,
  }),
);
let cursor = "0";
do {
  const [c, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
  cursor = c;
  if (keys.length) await redis.del(...keys);
} while (cursor !== "0");
redis.disconnect();
