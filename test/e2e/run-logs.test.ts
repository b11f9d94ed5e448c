// Run logs end to end: a plan's step prints a line and then waits on a fifo the test controls; a
// Server-Sent Events client of GET /api/v1/runs/:id/log sees that line while the step is still
// blocked, then the rest and the end once the test lets it go. A plan whose output is cut in the
// sticky comment links to the run's page, and the log there is the whole output.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { eventsUntil, openSse } from "../support/sse-client.ts";

const TOKEN = "e2e-run-log-token-0123456789";
const PUBLIC_URL = "https://slipway.example.com";
const auth = { authorization: `Bearer ${TOKEN}` };
let e2e: E2E;
let dir: string;
let gate: string;

const CONFIG = `version: 1
projects:
  - name: slow
    dir: slow
    workflow: gated
  - name: loud
    dir: loud
    workflow: loud
workflows:
  gated:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 120}]
  loud:
    plan: [{run: ["sh", "plan.sh"], timeout_seconds: 120}]
`;
// Prints a line, then blocks until the test writes to the fifo named by LOG_GATE.
const GATED = `echo "first line of the slow plan"\nread answer < "$LOG_GATE"\necho "after the gate: $answer"\n`;
// ~200 KB: more than a sticky comment holds.
const LOUD = `i=0\nwhile [ $i -lt 4000 ]; do echo "resource line $i of a very long plan output, padded to be wide"; i=$((i+1)); done\n`;

interface RunRow {
  id: string;
  repo?: string;
  kind: string;
  log?: boolean;
}

async function runOf(repo: string): Promise<RunRow | undefined> {
  const res = await fetch(`${e2e.slipway.url}/api/v1/runs?repo=${repo}`, { headers: auth });
  const { runs } = (await res.json()) as { runs: RunRow[] };
  return runs.find((r) => r.kind === "plan" && r.log === true);
}

describe("run logs", () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "slipway-runlog-e2e-"));
    gate = path.join(dir, "gate");
    await promisify(execFile)("mkfifo", [gate]);
    e2e = await startE2E({ env: { SLIPWAY_API_TOKEN: TOKEN, SLIPWAY_PUBLIC_URL: PUBLIC_URL, LOG_GATE: gate } });
    e2e.gh.addUser("alice", { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a step's first line reaches an SSE client while the step still runs", async () => {
    const info = await e2e.gh.createRepo({
      owner: "acme",
      name: "gated",
      files: { ".slipway.yml": CONFIG, "slow/plan.sh": GATED, "loud/plan.sh": "echo quiet\n" },
    });
    const repo = info.fullName;
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "slow", files: { "slow/desired.txt": "v2\n" } });
    const run = await waitFor(() => runOf(repo), { timeoutMs: 60_000, what: "the plan run to have a log" });
    const conn = await openSse(`${e2e.slipway.url}/api/v1/runs/${encodeURIComponent(run.id)}/log`, auth);
    assert.equal(conn.status, 200);
    const early = await eventsUntil(conn, (e) => e.event === "message" && JSON.parse(e.data).line === "first line of the slow plan");
    // The step is blocked on the fifo until the test writes to it: it cannot have finished.
    assert.ok(!early.some((e) => e.event === "end"));
    const check = e2e.gh.checkRuns(repo, { headSha: pr.headSha }).find((c) => c.name === "slipway/plan: slow");
    assert.notEqual(check?.status, "completed");
    assert.deepEqual(JSON.parse(early.at(-1)!.data), { line: "first line of the slow plan", project: "slow", phase: "plan" });

    await writeFile(gate, "go\n");
    const rest = await eventsUntil(conn, (e) => e.event === "end");
    const lines = rest.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line as string);
    assert.ok(lines.includes("after the gate: go"), lines.join("\n"));
    await e2e.idle();
    const text = await (await fetch(`${e2e.slipway.url}/api/v1/runs/${encodeURIComponent(run.id)}/log`, { headers: auth })).text();
    assert.match(text, /^\$ sh plan\.sh\nfirst line of the slow plan\nafter the gate: go\n/m);
  });

  test("a comment cut to GitHub's limit links to the run's page, whose log is whole", async () => {
    const info = await e2e.gh.createRepo({
      owner: "acme",
      name: "loud",
      files: { ".slipway.yml": CONFIG, "slow/plan.sh": "echo calm\n", "loud/plan.sh": LOUD },
    });
    const repo = info.fullName;
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "loud", files: { "loud/desired.txt": "v2\n" } });
    await e2e.idle();
    const run = await runOf(repo);
    assert.ok(run, "the plan run has a log");
    const link = `${PUBLIC_URL}/runs/${encodeURIComponent(run.id)}`;
    const comment = e2e.gh.comments(repo, pr.number).find((c) => c.body.includes(pr.headSha.slice(0, 7)));
    assert.ok(comment?.body.includes(`[the full log](${link})`), comment?.body.slice(-600));
    const check = e2e.gh.checkRuns(repo, { headSha: pr.headSha }).find((c) => c.name === "slipway/plan: loud");
    assert.ok(check?.output.text?.includes(`[the full log](${link})`));
    const text = await (await fetch(`${e2e.slipway.url}/api/v1/runs/${encodeURIComponent(run.id)}/log`, { headers: auth })).text();
    assert.ok(text.includes("resource line 0 of a very long plan output"));
    assert.ok(text.includes("resource line 3999 of a very long plan output"));
  });
});
