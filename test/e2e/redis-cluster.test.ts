// Slipway on a 3-master Redis Cluster (REDIS_CLUSTER_NODES) that the test starts for itself: the
// plan → approve → merge → deploy path passes unchanged, with the queues, the intake stream,
// locks, mutexes, audit and metrics spread over the masters (src/queue/key-scheme.ts).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startE2E, type E2E } from "../support/e2e.ts";
import { startRedisCluster, type RedisCluster } from "../support/redis-topology.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";
import { intakeKey, queueKeyPrefix } from "../../src/queue/key-scheme.ts";

const TOKEN = "cluster-test-api-token-0123456789";
let cluster: RedisCluster;
let e2e: E2E;
let world: string;

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);

function statuses(repo: string, environment: string): string[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === environment);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => s.state) : [];
}

/** `acme/cluster-N` names, the first two whose hash tags fall in different masters' slot ranges. */
async function reposOnTwoMasters(): Promise<string[]> {
  const c = cluster.connect();
  try {
    const slots = await c.cluster("SLOTS");
    const master = async (repo: string) => {
      const slot = Number(await c.cluster("KEYSLOT", `{${repo}}`));
      return slots.find(([from, to]) => slot >= from && slot <= to)![2]![1];
    };
    const first = "acme/cluster-0";
    for (let i = 1; ; i++) if ((await master(`acme/cluster-${i}`)) !== (await master(first))) return [first, `acme/cluster-${i}`];
  } finally {
    c.disconnect();
  }
}

describe("Slipway on a Redis Cluster", { timeout: 170_000 }, () => {
  before(async () => {
    cluster = await startRedisCluster(3);
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ redis: { env: cluster.env, target: cluster.target }, env: { SLIPWAY_WORLD_DIR: world, SLIPWAY_API_TOKEN: TOKEN } });
    for (const user of ["alice", "carol"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await cluster?.stop();
    if (world) await rm(world, { recursive: true, force: true });
  });

  test("plan, approve, merge and deploy; locks listed across the masters", async () => {
    // Two repositories whose keys (hash tag `{owner/name}`) live on different masters.
    const repos = await reposOnTwoMasters();
    for (const repo of repos) {
      const [owner, name] = repo.split("/") as [string, string];
      await e2e.gh.createRepo({ owner, name, fixture: "deploy-repo" });
    }
    const pulls: PullInfo[] = [];
    for (const repo of repos) {
      const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "change", files: { "staging/desired.txt": `${repo} v2\n` } });
      await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
        timeoutMs: 60_000,
        what: `the plan of ${repo}`,
      });
      pulls.push(pr);
    }

    // A SCAN of every master finds both repositories' locks.
    const res = await fetch(`${e2e.slipway.url}/api/v1/locks`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const { locks } = (await res.json()) as { locks: { repo: string; project: string; pull: number }[] };
    assert.deepEqual(
      locks.map((l) => [l.repo, l.project, l.pull]),
      repos.map((repo, i) => [repo, "staging", pulls[i]!.number]),
    );

    for (const [i, repo] of repos.entries()) {
      const pr = pulls[i]!;
      await e2e.gh.comment(pr, "carol", "/approve");
      await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", {
        timeoutMs: 60_000,
        what: `the approval of ${repo}`,
      });
      const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
      await waitFor(() => statuses(repo, "staging").at(-1) === "success", { timeoutMs: 60_000, what: `${repo} deployed to staging` });
      assert.deepEqual(statuses(repo, "staging"), ["queued", "in_progress", "success"]);
      const applied = ((await readWorld("applies.log")) ?? "").split("\n").filter((l) => l === `applied staging ${mergeCommitSha}`);
      assert.equal(applied.length, 1, `${repo} applied once at its merge commit`);
    }
    assert.equal(await readWorld("staging.txt"), `${repos[1]} v2\n`, "the world holds the last merge");
    await e2e.idle({ timeoutMs: 60_000 });

    // No command was refused for its keys' slots, and nothing else went wrong on the way.
    assert.doesNotMatch(e2e.slipway.logs(), /CROSSSLOT|same slot|"level":(40|50|60)/);

    // It all went through the cluster, none of it to the Redis on 6379.
    const prefix = e2e.slipway.prefix;
    const c = cluster.connect();
    const local = new Redis(TEST_REDIS_URL);
    try {
      assert.equal(await c.exists(intakeKey(prefix)), 1, "the intake stream is on the cluster");
      assert.ok((await c.zcard(`${queueKeyPrefix(prefix)}:applies:completed`)) >= 2, "the applies ran as BullMQ jobs on the cluster");
      assert.equal(await local.exists(intakeKey(prefix)), 0);
    } finally {
      c.disconnect();
      local.disconnect();
    }

    const after = await fetch(`${e2e.slipway.url}/api/v1/locks`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(((await after.json()) as { locks: unknown[] }).locks, [], "merging released every lock");
  });
});
