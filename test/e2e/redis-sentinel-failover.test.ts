// Slipway behind Sentinel (REDIS_SENTINELS) while its primary is SIGKILLed in the middle of a
// deploy: the sentinels promote the replica, Slipway follows, and afterwards no webhook that was
// answered 2xx is lost (each became its job) and no apply ran twice. Deliveries answered 503
// during the failover are redelivered, as GitHub's redelivery (SPEC §10) does.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { startRedisSentinels, type RedisSentinels } from "../support/redis-topology.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

let sentinels: RedisSentinels;
let e2e: E2E;
let world: string;

const readWorld = (file: string) => readFile(path.join(world, file), "utf8").catch(() => undefined);
const appliesAt = async (sha: string) => ((await readWorld("applies.log")) ?? "").split("\n").filter((l) => l.endsWith(` ${sha}`));

function statuses(repo: string, environment: string): string[] {
  const deployment = e2e.gh.deployments(repo).find((d) => d.environment === environment);
  return deployment ? e2e.gh.deploymentStatuses(repo, deployment.id).map((s) => s.state) : [];
}

const ok = (status: number) => status >= 200 && status < 300;

/** Original deliveries that no attempt (the first or a redelivery) got a 2xx for. */
function unacknowledged(): string[] {
  const acked = new Set(e2e.sim.deliveries.filter((d) => ok(d.status)).map((d) => d.id));
  return e2e.sim.deliveries.filter((d) => !d.redelivery && !acked.has(d.id)).map((d) => d.id);
}

async function newRepo(name: string): Promise<string> {
  await e2e.gh.createRepo({ owner: "acme", name, fixture: "deploy-repo" });
  return `acme/${name}`;
}

async function plannedAndApproved(repo: string, desired: string): Promise<PullInfo> {
  const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "change", files: { "staging/desired.txt": desired } });
  await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
    timeoutMs: 60_000,
    what: `the plan of ${repo}`,
  });
  await e2e.gh.comment(pr, "carol", "/approve");
  await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", {
    timeoutMs: 60_000,
    what: `the approval of ${repo}`,
  });
  return pr;
}

describe("Slipway behind Sentinel, through a failover", { timeout: 175_000 }, () => {
  before(async () => {
    sentinels = await startRedisSentinels();
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({ redis: { env: sentinels.env, target: sentinels.target }, env: { SLIPWAY_WORLD_DIR: world } });
    for (const user of ["alice", "carol"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await sentinels?.stop();
    if (world) await rm(world, { recursive: true, force: true });
  });

  test("the primary is killed mid-apply: no acknowledged intent is lost, no apply runs twice", async () => {
    const held = await newRepo("held");
    const later = await newRepo("later");
    const heldPr = await plannedAndApproved(held, "HOLD v2\n");
    const laterPr = await plannedAndApproved(later, "v2\n");

    // The merge's apply starts and waits in its step (apply.sh: HOLD) until the test releases it.
    const { mergeCommitSha: heldSha } = await e2e.gh.merge(heldPr, "alice");
    await waitFor(() => statuses(held, "staging").includes("in_progress"), { timeoutMs: 60_000, what: "the held apply running" });

    const { killed, promoted } = await sentinels.killPrimaryAndFailOver();
    assert.notEqual(promoted, killed);
    // Work keeps arriving during and after the failover; some of it is answered 503.
    const { mergeCommitSha: laterSha } = await e2e.gh.merge(laterPr, "alice");
    const fresh = await e2e.gh.openPullRequest({ repo: later, author: "alice", branch: "next", files: { "staging/desired.txt": "v3\n" } });
    // Back to a primary and a replica: an append is acknowledged only once a replica has it.
    await sentinels.restartAsReplica(killed);
    await writeFile(path.join(world, "release-staging"), "");

    // GitHub's redelivery of what was refused; what was answered 2xx is not sent again.
    await waitFor(
      async () => {
        const missing = unacknowledged();
        for (const id of missing) await e2e.sim.redeliver(id);
        return unacknowledged().length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "every delivery acknowledged" },
    );

    await waitFor(() => statuses(held, "staging").at(-1) === "success", { timeoutMs: 60_000, what: "the held deploy to finish" });
    await waitFor(() => statuses(later, "staging").at(-1) === "success", { timeoutMs: 60_000, what: "the later merge deployed" });
    await waitFor(() => e2e.gh.checkRuns(later, { headSha: fresh.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 60_000,
      what: "the pull request opened after the failover planned",
    });
    await e2e.idle({ timeoutMs: 60_000 });

    assert.deepEqual(await appliesAt(heldSha), [`applied staging ${heldSha}`], "the apply held across the failover ran once");
    assert.deepEqual(await appliesAt(laterSha), [`applied staging ${laterSha}`], "the merge made during the failover applied once");
    for (const repo of [held, later]) {
      assert.equal(e2e.gh.deployments(repo).filter((d) => d.environment === "staging").length, 1, `${repo}: one deployment`);
      assert.deepEqual(statuses(repo, "staging"), ["queued", "in_progress", "success"]);
    }
    assert.equal(e2e.gh.checkRuns(later, { headSha: fresh.headSha, name: "slipway/plan: staging" }).length, 1, "planned once");
  });
});
