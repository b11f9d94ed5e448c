// Fault test: a pull request head that is fetched but cannot be checked out. Its plan checks,
// already started, must end as errors saying why — never left spinning `in_progress` — and the
// process keeps serving.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

const REPO = "acme/faults-checkout";
let e2e: E2E;

describe("a head that cannot be checked out", () => {
  before(async () => {
    e2e = await startE2E();
    e2e.gh.addUser("alice", { permission: "write" });
    await e2e.gh.createRepo({ owner: "acme", name: "faults-checkout", fixture: "simple-repo" });
  });
  after(async () => {
    await e2e?.stop();
  });

  test("ends the pull request's plan checks as errors with the reason", async () => {
    // Git stores a file name of any length, but no Linux file system takes a name over 255 bytes:
    // the commit fetches fine (config, changed files and checks come from the mirror) and the
    // worktree's checkout fails with git's own "File name too long".
    const tooLong = `app/${"x".repeat(300)}.txt`;
    const pr = await e2e.gh.openPullRequest({ repo: REPO, author: "alice", branch: "long-name", files: { [tooLong]: "unwritable\n" } });
    const checks = () => e2e.gh.checkRuns(REPO, { headSha: pr.headSha, name: "slipway/plan: app" });
    await waitFor(() => checks().length > 0, { timeoutMs: 30_000, what: "the plan check" });
    // Every attempt of the plan job is over (it is retried once) once nothing is left to happen.
    await e2e.idle();
    const all = checks();
    assert.ok(all.length > 0);
    for (const check of all) {
      assert.equal(check.status, "completed", "never left in progress");
      assert.equal(check.conclusion, "failure");
      assert.match(check.output.title, /the commit could not be checked out: git reset failed \(exit 128\)/);
      assert.match(`${check.output.summary}\n${check.output.text ?? ""}`, /File name too long/);
    }

    // Still serving: a head that can be checked out is planned as usual.
    const fine = await e2e.gh.openPullRequest({ repo: REPO, author: "alice", branch: "fine", files: { "app/desired.txt": "replicas=2\n" } });
    const planned = await waitFor(() => e2e.gh.checkRuns(REPO, { headSha: fine.headSha, name: "slipway/plan: app" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan of a sound head",
    });
    assert.notEqual(planned.conclusion, "failure", planned.output.title);
  });
});
