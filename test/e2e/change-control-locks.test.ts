// Project locks end to end: one open PR at a time per project, released by merge, close or /unlock,
// and the waiting PR replanned when that happens.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { checkText, eyesOn, planned, startGated, waitForCheck, type Gated } from "./change-control-helpers.ts";

let g: Gated;

/** Two PRs touching project app (different files, so both stay mergeable); the second is locked out. */
async function contested(label: string): Promise<{ first: PullInfo; second: PullInfo }> {
  const repo = await g.newRepo();
  const first = await g.gh.openPullRequest({ repo, author: "alice", branch: `${label}-first`, files: { "app/desired.txt": "first\n" } });
  await planned(g.gh, first, "app");
  const second = await g.gh.openPullRequest({ repo, author: "erin", branch: `${label}-second`, files: { "app/notes.txt": "second\n" } });
  const locked = await waitForCheck(g.gh, second, "slipway/plan: app", (c) => c.conclusion === "failure", "the second PR's plan to be refused");
  assert.match(checkText(locked), new RegExp(`locked by #${first.number}\\b`), checkText(locked));
  return { first, second };
}

describe("project locks", () => {
  before(async () => {
    g = await startGated("cc-locks");
  });
  after(async () => {
    await g?.stop();
  });

  test("a second PR touching a locked project is told which PR holds it, and is planned once the first merges", async () => {
    const { first, second } = await contested("merge");
    await g.gh.merge(first, "alice");
    const replanned = await planned(g.gh, second, "app");
    assert.doesNotMatch(checkText(replanned), /locked/i);
  });

  test("/unlock by the holder frees the project and the waiting PR is planned", async () => {
    const { first, second } = await contested("unlock");
    const unlock = await g.gh.comment(first, "alice", "/unlock");
    await eyesOn(g.gh, unlock);
    await planned(g.gh, second, "app");
  });

  test("closing the holder frees the project and the waiting PR is planned", async () => {
    const { first, second } = await contested("close");
    await g.gh.closePullRequest(first, "alice");
    await planned(g.gh, second, "app");
  });

  test("a lock whose PR was closed while Slipway missed the event is freed on first use", async () => {
    const repo = await g.newRepo();
    const first = await g.gh.openPullRequest({ repo, author: "alice", branch: "missed-first", files: { "app/desired.txt": "first\n" } });
    await planned(g.gh, first, "app");
    // The close event never reaches Slipway (a failed delivery nobody redelivered).
    g.e2e.sim.setWebhookTarget(undefined);
    await g.gh.closePullRequest(first, "alice");
    g.e2e.sim.setWebhookTarget(`${g.e2e.slipway.url}/api/github/webhooks`);
    const second = await g.gh.openPullRequest({ repo, author: "erin", branch: "missed-second", files: { "app/notes.txt": "second\n" } });
    const check = await planned(g.gh, second, "app");
    assert.doesNotMatch(checkText(check), /locked/i);
  });

  test("a project the holder does not touch stays free for others", async () => {
    const repo = await g.newRepo();
    const first = await g.gh.openPullRequest({ repo, author: "alice", branch: "app-only", files: { "app/desired.txt": "app\n" } });
    await planned(g.gh, first, "app");
    const second = await g.gh.openPullRequest({ repo, author: "erin", branch: "web-only", files: { "web/desired.txt": "web\n" } });
    await planned(g.gh, second, "web");
  });
});
