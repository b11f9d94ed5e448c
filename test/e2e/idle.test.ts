// The idle signal the end-to-end tests wait on (test/support/idle.ts): once `e2e.idle()` resolves,
// everything an action caused has happened — here, without any other wait — and while work is
// left, it fails naming that work.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { STICKY } from "./change-control-helpers.ts";

let e2e: E2E;
let repoCount = 0;

async function newRepo(): Promise<string> {
  const name = `idle-${++repoCount}`;
  await e2e.gh.createRepo({ owner: "acme", name, fixture: "two-projects" });
  return `acme/${name}`;
}

const planChecks = (pr: PullInfo) => e2e.gh.checkRuns(pr.repo, { headSha: pr.headSha }).filter((c) => c.name.startsWith("slipway/plan: "));

describe("waiting for idle", () => {
  before(async () => {
    e2e = await startE2E();
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
  });

  test("resolves only once a pull request's plans, checks and comment are all done", async () => {
    const repo = await newRepo();
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "both", files: { "alpha/desired.txt": "v2\n", "beta/desired.txt": "v2\n" } });
    await e2e.idle();
    assert.deepEqual(
      planChecks(pr)
        .map((c) => `${c.name} ${c.status}`)
        .sort(),
      ["slipway/plan: alpha completed", "slipway/plan: beta completed"],
    );
    const comments = e2e.gh.comments(repo, pr.number);
    assert.equal(comments.length, 1);
    assert.ok(comments[0]!.body.includes(STICKY) && comments[0]!.body.includes(pr.headSha.slice(0, 7)), "the sticky comment shows the head");
    assert.equal(e2e.sim.activity().deliveriesPending, 0);
  });

  test("times out naming the busy queue while a plan runs, and resolves once it is superseded", async () => {
    const repo = await newRepo();
    const slow = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "slow", files: { "alpha/desired.txt": "SLOW\n" } }); // plan.sh sleeps 20 s
    await waitFor(() => planChecks(slow).find((c) => c.status === "in_progress"), { timeoutMs: 30_000, what: "the slow plan to start" });
    await assert.rejects(e2e.idle({ timeoutMs: 1000 }), /not idle after 1000 ms: .*plans: 1 active/);
    const pushed = await e2e.gh.pushToPullRequest(slow, { "alpha/desired.txt": "fast now\n" });
    await e2e.idle();
    const superseded = planChecks(slow);
    assert.deepEqual(
      superseded.map((c) => `${c.status} ${c.conclusion}`),
      ["completed neutral"],
      "the slow plan was stopped, not waited for",
    );
    const current = planChecks({ ...slow, headSha: pushed.headSha });
    assert.deepEqual(
      current.map((c) => `${c.status} ${c.conclusion}`),
      ["completed success"],
    );
  });

  test("every request Slipway made is one GitHub would accept", () => {
    assert.deepEqual(e2e.sim.violations, []);
  });
});
