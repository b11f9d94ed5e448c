// The audit trail end to end: a pull request from open to deployed (plan, /approve, merge,
// deploy, /apply production) read back from GET /api/v1/audit, each event with its actor, SHA,
// project, environment, plan digest and `via`, in order — and the same events arriving, signed,
// at a receiver of the audit webhook. Then a lock released through the API.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { AuditEvent } from "../../src/audit/event.ts";
import { APPLY_QUEUE } from "../../src/queue/jobs.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import { queueKeyPrefix } from "../../src/queue/key-scheme.ts";

const TOKEN = "e2e-api-token-0123456789";
const SECRET = "e2e-audit-webhook-secret";
let e2e: E2E;
let world: string;
let receiver: Server;
const received: { event: AuditEvent; signed: boolean }[] = [];

async function api(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${e2e.slipway.url}${pathAndQuery}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } });
}

/** Every event of the repository, oldest first, read page by page. */
async function trail(repo: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const res = await api(`/api/v1/audit?repo=${repo}&limit=5${cursor ? `&cursor=${cursor}` : ""}`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as { events: AuditEvent[]; next_cursor: string | null };
    events.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor);
  return events.reverse();
}

describe("audit trail", () => {
  before(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const expected = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
        received.push({ event: JSON.parse(body) as AuditEvent, signed: req.headers["x-slipway-signature-256"] === expected });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    world = await mkdtemp(path.join(tmpdir(), "slipway-world-"));
    e2e = await startE2E({
      env: {
        SLIPWAY_WORLD_DIR: world,
        SLIPWAY_API_TOKEN: TOKEN,
        SLIPWAY_AUDIT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/audit`,
        SLIPWAY_AUDIT_WEBHOOK_SECRET: SECRET,
      },
    });
    for (const user of ["alice", "carol", "erin"]) e2e.gh.addUser(user, { permission: "write" });
  });
  after(async () => {
    await e2e?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
    await rm(world, { recursive: true, force: true });
  });

  test("open to deployed: the whole trail, in order, from the API and at the audit webhook", async () => {
    const repo = "acme/audited";
    await e2e.gh.createRepo({ owner: "acme", name: "audited", fixture: "deploy-repo" });
    const pr = await e2e.gh.openPullRequest({
      repo,
      author: "alice",
      branch: "change",
      files: { "staging/desired.txt": "v2\n", "production/desired.txt": "v2\n" },
    });
    await waitFor(
      () => e2e.gh.checkRuns(repo, { headSha: pr.headSha }).filter((c) => c.name.startsWith("slipway/plan: ") && c.status === "completed").length === 2,
      {
        timeoutMs: 30_000,
        what: "the plans",
      },
    );
    await e2e.gh.comment(pr, "carol", "/approve");
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", {
      timeoutMs: 30_000,
      what: "approval",
    });
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
    await waitFor(async () => (await readFile(path.join(world, "staging.txt"), "utf8").catch(() => "")) === "v2\n", {
      timeoutMs: 30_000,
      what: "staging applied",
    });
    await e2e.idle();
    await e2e.gh.comment(pr, "erin", "/apply production");
    await e2e.idle();
    await e2e.gh.comment(pr, "carol", "/apply production");
    await waitFor(async () => (await readFile(path.join(world, "production.txt"), "utf8").catch(() => "")) === "v2\n", {
      timeoutMs: 30_000,
      what: "production applied",
    });
    await e2e.idle();

    const events = await trail(repo);
    if (process.env.AUDIT_DUMP) (await import("node:fs")).writeFileSync(process.env.AUDIT_DUMP, JSON.stringify(events, null, 1));
    const find = (kind: string, match: Partial<AuditEvent> = {}) => {
      const i = events.findIndex((e) => e.kind === kind && Object.entries(match).every(([k, v]) => e[k as keyof AuditEvent] === v));
      assert.ok(i >= 0, `${kind} ${JSON.stringify(match)} in ${JSON.stringify(events.map((e) => [e.kind, e.project ?? e.environment]))}`);
      return { i, e: events[i]! };
    };
    const head = pr.headSha;
    const lockStaging = find("lock.acquired", { project: "staging" });
    const planStaging = find("plan", { project: "staging" });
    const planProduction = find("plan", { project: "production" });
    const approval = find("approval", { environment: "production" });
    const waiting = find("deploy.waiting", { environment: "production" });
    const applyStaging = find("apply", { project: "staging" });
    const refused = find("command.refused", { actor: "erin" });
    const released = find("deploy.released", { environment: "production" });
    const applyProduction = find("apply", { project: "production" });
    const unlocked = find("lock.released", { project: "production" });

    // Causal order: what happened before shows before.
    assert.ok(lockStaging.i < planStaging.i && planStaging.i < approval.i, "locked, planned, then approved");
    assert.ok(approval.i < waiting.i && approval.i < applyStaging.i, "approved before the merge deployed");
    assert.ok(waiting.i < refused.i && refused.i < released.i && released.i < applyProduction.i, "waited, refused erin, released by carol, applied");
    const ids = events.map((e) => e.id);
    assert.deepEqual(
      [...ids].sort((a, b) => Number(a.split("-")[0]) - Number(b.split("-")[0]) || Number(a.split("-")[1]) - Number(b.split("-")[1])),
      ids,
      "ids increase",
    );

    // Who, what, where, how.
    assert.deepEqual(pick(lockStaging.e), { actor: "slipway", pull: pr.number, sha: head, project: "staging", outcome: "acquired", via: "push" });
    assert.deepEqual(pick(planStaging.e), {
      actor: "slipway",
      pull: pr.number,
      sha: head,
      project: "staging",
      environment: "staging",
      outcome: "changes",
      via: "push",
    });
    assert.match(planStaging.e.plan_digest ?? "", /^[0-9a-f]{64}$/, "the plan's digest");
    assert.deepEqual(pick(approval.e), { actor: "carol", pull: pr.number, sha: head, environment: "production", outcome: "recorded", via: "comment" });
    assert.equal(approval.e.plan_digest, planProduction.e.plan_digest, "the approval names the plan it approved");
    assert.deepEqual(pick(waiting.e), { actor: "slipway", pull: pr.number, sha: mergeCommitSha, environment: "production", outcome: "waiting", via: "merge" });
    assert.ok(waiting.e.reason, "why it waits");
    assert.deepEqual(pick(applyStaging.e), {
      actor: "slipway",
      pull: pr.number,
      sha: mergeCommitSha,
      project: "staging",
      environment: "staging",
      outcome: "changes",
      via: "merge",
    });
    assert.match(applyStaging.e.plan_digest ?? "", /^[0-9a-f]{64}$/);
    assert.equal(refused.e.via, "comment");
    assert.match(refused.e.reason ?? "", /approver/i);
    assert.deepEqual(pick(released.e), {
      actor: "carol",
      pull: pr.number,
      sha: mergeCommitSha,
      environment: "production",
      outcome: released.e.outcome,
      via: "comment",
    });
    assert.deepEqual(pick(applyProduction.e), {
      actor: "carol",
      pull: pr.number,
      sha: mergeCommitSha,
      project: "production",
      environment: "production",
      outcome: "changes",
      via: "comment",
    });
    assert.equal(unlocked.e.via, "merge");
    for (const e of events) {
      assert.equal(e.repo, repo);
      assert.ok(e.delivery, `${e.kind} names its delivery`);
      assert.ok(!Number.isNaN(Date.parse(e.at)));
    }

    // The same events, signed, at the audit webhook, in the same order.
    await waitFor(() => new Set(received.filter((r) => r.event.repo === repo).map((r) => r.event.id)).size === events.length, {
      timeoutMs: 30_000,
      what: "every event at the receiver",
    });
    const delivered = [...new Map(received.filter((r) => r.event.repo === repo).map((r) => [r.event.id, r])).values()];
    assert.ok(
      delivered.every((r) => r.signed),
      "every body signed",
    );
    assert.deepEqual(
      delivered.map((r) => r.event),
      events,
    );
  });

  test("DELETE /api/v1/locks releases the lock, audits it via api, and tells the pull request", async () => {
    const repo = "acme/unlocked";
    await e2e.gh.createRepo({ owner: "acme", name: "unlocked", fixture: "deploy-repo" });
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "hold", files: { "staging/desired.txt": "held\n" } });
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    const locks = (await (await api(`/api/v1/locks?repo=${repo}`)).json()) as { locks: { project: string; pull: number }[] };
    assert.deepEqual(
      locks.locks.map((l) => [l.project, l.pull]),
      [["staging", pr.number]],
    );
    const unauthorised = await fetch(`${e2e.slipway.url}/api/v1/locks/${repo}/staging`, { method: "DELETE" });
    assert.equal(unauthorised.status, 401);
    const res = await api(`/api/v1/locks/${repo}/staging`, { method: "DELETE" });
    assert.equal(res.status, 202);
    await waitFor(() => e2e.gh.comments(repo, pr.number).find((c) => /released by api through the API/.test(c.body)), {
      timeoutMs: 30_000,
      what: "the comment on the pull request",
    });
    const events = await trail(repo);
    const released = events.find((e) => e.kind === "lock.released");
    assert.deepEqual(pick(released!), { actor: "api", pull: pr.number, project: "staging", outcome: "released", via: "api" });
    assert.deepEqual(((await (await api(`/api/v1/locks?repo=${repo}`)).json()) as { locks: unknown[] }).locks, []);
  });

  test("the other decisions: a withdrawn approval, an invalid config, a rollback, drift found and repaired", async () => {
    const info = await e2e.gh.createRepo({ owner: "acme", name: "others", fixture: "deploy-repo" });
    const repo = info.fullName;
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "change", files: { "staging/desired.txt": "v3\n" } });
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/plan: staging" }).find((c) => c.status === "completed"), {
      timeoutMs: 30_000,
      what: "the plan",
    });
    await e2e.gh.comment(pr, "carol", "/approve");
    await e2e.idle();
    await e2e.gh.comment(pr, "carol", "/approve cancel");
    await e2e.idle();
    const broken = await e2e.gh.openPullRequest({
      repo,
      author: "erin",
      branch: "broken",
      files: { ".slipway.yml": "version: 1\nprojects:\n  - nme: typo\n" },
    });
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: broken.headSha, name: "slipway/config" }).find((c) => c.conclusion === "failure"), {
      timeoutMs: 30_000,
      what: "the config check",
    });
    await e2e.gh.comment(pr, "carol", "/approve");
    await waitFor(() => e2e.gh.checkRuns(repo, { headSha: pr.headSha, name: "slipway/approval" }).at(-1)?.conclusion === "success", { what: "approved" });
    const { mergeCommitSha } = await e2e.gh.merge(pr, "alice");
    await waitFor(async () => (await readFile(path.join(world, "staging.txt"), "utf8").catch(() => "")) === "v3\n", {
      timeoutMs: 30_000,
      what: "staging applied",
    });
    await e2e.idle();

    await writeFile(path.join(world, "staging.txt"), "edited by hand\n");
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const applies = new Queue(APPLY_QUEUE, { connection: redis, prefix: queueKeyPrefix(e2e.slipway.prefix) });
    try {
      const job = await applies.add("drift", { kind: "drift", deliveryId: "audit-drift", repo: info, branch: "main" }, { jobId: `drift/acme/others/audit` });
      await waitFor(async () => (await job.getState()) === "completed", { timeoutMs: 30_000, what: "the drift run" });
    } finally {
      await applies.close();
      redis.disconnect();
    }
    const issue = await waitFor(() => e2e.gh.issues(repo, { labels: ["drift"], state: "open" }).find((i) => /staging/.test(i.title)), {
      what: "the drift issue",
    });
    await e2e.gh.comment({ repo, number: issue.number }, "carol", "/apply");
    await waitFor(async () => (await readFile(path.join(world, "staging.txt"), "utf8").catch(() => "")) === "v3\n", {
      timeoutMs: 30_000,
      what: "drift repaired",
    });
    await e2e.idle();
    // Last: the revert pull request it opens takes the lock of staging, which would hold the repair.
    await e2e.gh.comment(pr, "alice", "/rollback");
    await waitFor(() => e2e.gh.comments(repo, pr.number).find((c) => /Opened #\d+ to revert/.test(c.body)), { timeoutMs: 30_000, what: "the revert" });
    await e2e.idle();

    const events = await trail(repo);
    const one = (kind: string, match: Partial<AuditEvent> = {}) => {
      const e = events.find((x) => x.kind === kind && Object.entries(match).every(([k, v]) => x[k as keyof AuditEvent] === v));
      assert.ok(e, `${kind} ${JSON.stringify(match)} in ${JSON.stringify(events.map((x) => [x.kind, x.actor, x.project ?? x.environment]))}`);
      return e;
    };
    assert.deepEqual(pick(one("approval.withdrawn")), { actor: "carol", pull: pr.number, sha: pr.headSha, outcome: "withdrawn", via: "comment" });
    const invalid = one("config.invalid");
    assert.deepEqual(pick(invalid), { actor: "slipway", pull: broken.number, sha: broken.headSha, outcome: "failure", via: "push" });
    assert.match(invalid.reason ?? "", /nme/, "the reason says what is wrong");
    assert.deepEqual(pick(one("rollback")), { actor: "alice", pull: pr.number, sha: mergeCommitSha, outcome: one("rollback").outcome, via: "comment" });
    assert.match(one("rollback").outcome ?? "", /^opened #\d+$/);
    const detected = one("drift.detected", { project: "staging" });
    assert.deepEqual(pick(detected), {
      actor: "slipway",
      sha: mergeCommitSha,
      project: "staging",
      environment: "staging",
      outcome: "drifted",
      via: "schedule",
    });
    assert.match(detected.plan_digest ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(pick(one("drift.remediated", { project: "staging" })), {
      actor: "carol",
      sha: mergeCommitSha,
      project: "staging",
      environment: "staging",
      outcome: "remediated",
      via: "comment",
    });
    assert.ok(one("apply", { project: "staging", actor: "carol" }), "the repair is an apply too");
  });

  test("every request Slipway made is one GitHub would accept", () => {
    assert.deepEqual(e2e.sim.violations, []);
  });
});

function pick(e: AuditEvent) {
  const out: Record<string, unknown> = {};
  for (const k of ["actor", "pull", "sha", "project", "environment", "outcome", "via"] as const) if (e[k] !== undefined) out[k] = e[k];
  return out;
}
