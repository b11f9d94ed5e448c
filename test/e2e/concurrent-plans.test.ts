// Two plans of one head at once (the autoplan of a new pull request and a `/plan` typed while it
// runs): each keeps its own check run. A check still running is never closed as "Interrupted"
// by the other plan, which only closes what an earlier attempt of its own job left open.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

let e2e: E2E;
let dir: string;
let gate: string;

const CONFIG = `version: 1
projects:
  - name: app
    dir: app
    workflow: gated
workflows:
  gated:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 120}]
`;
// Reports a change (exit 2, as terraform -detailed-exitcode) once the test creates the file named by PLAN_GATE.
const GATED = `while [ ! -e "$PLAN_GATE" ]; do sleep 0.05; done\necho "+ create app"\nexit 2\n`;

describe("two plans of one head at once", () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "slipway-concurrent-plans-"));
    gate = path.join(dir, "gate");
    e2e = await startE2E({ env: { PLAN_GATE: gate, SLIPWAY_CONCURRENCY: "2" } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("the autoplan's check keeps running while a /plan of the same head starts; both end with their result", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "twice", files: { ".slipway.yml": CONFIG, "app/plan.sh": GATED } });
    const pr = await e2e.gh.openPullRequest({ repo: info.fullName, author: "alice", branch: "change", files: { "app/desired.txt": "v2\n" } });
    const checks = () => e2e.gh.checkRuns(pr.repo, { headSha: pr.headSha, name: "slipway/plan: app" });
    await waitFor(() => checks().length === 1, { timeoutMs: 60_000, what: "the autoplan's check" });

    await e2e.gh.comment(pr, "alice", "/plan");
    await waitFor(() => checks().length === 2, { timeoutMs: 60_000, what: "the /plan's check" });
    assert.deepEqual(
      checks().map((c) => c.status),
      ["in_progress", "in_progress"],
      "both plans are running: neither check is closed by the other",
    );

    await writeFile(gate, "");
    await waitFor(() => checks().every((c) => c.status === "completed"), { timeoutMs: 60_000, what: "both plans to finish" });
    await e2e.idle();
    assert.deepEqual(
      checks().map((c) => [c.conclusion, c.output.title === "Interrupted"]),
      [
        ["success", false],
        ["success", false],
      ],
    );
    assert.deepEqual(e2e.sim.violations, []);
  });
});
