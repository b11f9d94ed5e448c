// The environments table and the runs groups, from plain data.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuditEvent } from "../../../src/audit/event.ts";
import { environmentRows } from "../../../src/console/environment-rows.ts";
import { runDuration, runGroups, triggerText } from "../../../src/console/run-rows.ts";
import { ShortCache } from "../../../src/console/short-cache.ts";

const SHA = "a".repeat(40);
const ev = (e: Partial<AuditEvent>): AuditEvent => ({ id: "1-0", at: "2026-11-26T10:00:00.000Z", kind: "plan", actor: "x", repo: "acme/app", ...e });

test("each project × environment gets its commit, PR, approvers of that PR and environment, apply time, and what it waits for", () => {
  const rows = environmentRows(
    [
      {
        environment: "production",
        state: "waiting",
        sha: SHA,
        pull: 7,
        reason: "manual: waits for /apply production",
        projects: [{ name: "web", status: "pending" }],
      },
      { environment: "staging", state: "success", sha: SHA, pull: 7, projects: [{ name: "net", status: "changes" }] },
    ],
    [
      ev({ kind: "apply", project: "net", sha: SHA, at: "2026-11-26T11:00:00.000Z" }),
      ev({ kind: "approval", actor: "carol", pull: 7, environment: "staging" }),
      ev({ kind: "approval", actor: "dave", pull: 7, environment: "production" }),
      ev({ kind: "approval", actor: "erin", pull: 8 }),
      ev({ kind: "approval", actor: "alice", pull: 7 }),
    ],
  );
  assert.deepEqual(rows, [
    { project: "net", environment: "staging", sha: SHA, pull: 7, status: "applied", approvers: ["alice", "carol"], appliedAt: "2026-11-26T11:00:00.000Z" },
    {
      project: "web",
      environment: "production",
      sha: SHA,
      pull: 7,
      status: "pending",
      approvers: ["alice", "dave"],
      waiting: "manual: waits for /apply production",
    },
  ]);
});

test("runs are grouped queued, running, recent, with durations and outcomes", () => {
  const now = Date.parse("2026-11-26T10:05:00Z");
  const groups = runGroups(
    [
      { id: "a", kind: "plan", state: "queued", repo: "acme/app", queued_at: "2026-11-26T10:00:00Z" },
      { id: "b", kind: "apply", state: "running", repo: "acme/app", queued_at: "2026-11-26T10:00:00Z", started_at: "2026-11-26T10:03:55Z" },
      {
        id: "c",
        kind: "plan",
        state: "completed",
        repo: "acme/app",
        queued_at: "2026-11-26T09:00:00Z",
        started_at: "2026-11-26T09:00:00Z",
        finished_at: "2026-11-26T09:00:42Z",
        outcome: { status: "changes" },
      },
      { id: "d", kind: "drift", state: "failed", repo: "acme/app", queued_at: "2026-11-26T08:00:00Z" },
    ],
    (r) => r.id !== "a",
    now,
  );
  assert.deepEqual(
    groups.map((g) => [g.state, g.runs.map((r) => [r.id, r.duration, r.outcomeText, r.canWrite])]),
    [
      ["queued", [["a", "–", "queued", false]]],
      ["running", [["b", "1m 5s", "running", true]]],
      [
        "recent",
        [
          ["c", "42s", "changes", true],
          ["d", "–", "failed", true],
        ],
      ],
    ],
  );
  assert.equal(runDuration({ id: "x", kind: "plan", state: "running", queued_at: "", started_at: "2026-11-26T10:04:59Z" }, now), "1s");
});

test("the short cache loads once for concurrent askers, again after its time, and forgets a failure", async () => {
  let clock = 0;
  let loads = 0;
  const cache = new ShortCache<number>(1000, 10, () => clock);
  const load = async () => ++loads;
  assert.deepEqual(await Promise.all([cache.get("k", load), cache.get("k", load)]), [1, 1]);
  clock = 999;
  assert.equal(await cache.get("k", load), 1);
  clock = 1000;
  assert.equal(await cache.get("k", load), 2);
  await assert.rejects(cache.get("bad", async () => Promise.reject(new Error("redis down"))));
  assert.equal(await cache.get("bad", load), 3);
});

test("a run's trigger cell says what started it, who asked and from where", () => {
  const run = { id: "r", kind: "unlock", state: "completed" as const, queued_at: "2026-11-26T10:00:00.000Z" };
  assert.equal(triggerText({ ...run, requested_by: "alice", via: "console" }), "by alice via console");
  assert.equal(triggerText({ ...run, trigger: "command", requested_by: "carol" }), "command by carol");
  assert.equal(triggerText(run), "–");
});

test("the applied commit's row carries its pull request's title", () => {
  const [row] = environmentRows(
    [{ environment: "staging", state: "success", sha: SHA, pull: 7, pull_title: "Add a queue", projects: [{ name: "net", status: "changes" }] }],
    [],
  );
  assert.equal(row?.pullTitle, "Add a queue");
});
