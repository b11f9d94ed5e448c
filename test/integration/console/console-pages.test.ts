// The console's pages and actions as two people see them (alice writes to acme/app, rob only
// reads it, neither sees acme/secret): only permitted repositories, 404 for the others, lock
// release and run cancel for writers only, hostile values escaped or refused, and a person
// removed from a repository losing it once the 5-minute access cache runs out.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AuditEvent } from "../../../src/audit/event.ts";
import { ACCESS_MAX_AGE_MS } from "../../../src/console/access.ts";
import { RedisRunLogWriter } from "../../../src/logs/run-log-writer.ts";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { eventsUntil, openSse } from "../../support/sse-client.ts";
import { API_TOKEN, csrfOf, signIn, startConsole, type TestConsole } from "./console-support.ts";

const SHA = "e".repeat(40);
const EVIL_LINE = `<script>alert("log")</script><img src=x onerror=alert(2)>`;
const EVIL_PROJECT = 'net<img src=x onerror="alert(1)">';
const EVIL_TITLE = `<img src=x onerror=alert(1)>"'&`;
const EVIL_TITLE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;";
let sim: GitHubSimulator;
let c: TestConsole;
let alice: string;
let rob: string;

before(async () => {
  sim = await startGitHubSimulator({ validateResponses: true });
  await sim.scenario.createRepo({ owner: "acme", name: "app" });
  await sim.scenario.createRepo({ owner: "acme", name: "secret" });
  sim.scenario.addUser("alice", { permission: { "acme/app": "write" } });
  sim.scenario.addUser("rob", { permission: { "acme/app": "read" } });
  c = await startConsole(sim);
  await c.locks.tryAcquire({ owner: "acme", repo: "app", project: "network" }, { pull: 7, headSha: SHA, author: "alice", since: Date.now() });
  await c.locks.tryAcquire({ owner: "acme", repo: "secret", project: "vault" }, { pull: 3, headSha: SHA, author: "eve", since: Date.now() });
  await c.deploys.create("acme/app", SHA, {
    sha: SHA,
    pullNumber: 7,
    pullTitle: EVIL_TITLE,
    projects: [
      { name: EVIL_PROJECT, environment: "staging", dependsOn: [] },
      { name: "web", environment: "production", dependsOn: [] },
    ],
    environments: {
      staging: { name: "staging", deploymentId: 1, state: "success" },
      production: { name: "production", deploymentId: 2, state: "waiting", reason: "manual: waits for /apply production" },
    },
    results: { [EVIL_PROJECT]: { project: EVIL_PROJECT, dir: "n", environment: "staging", status: "changes", output: "", truncated: false, durationMs: 5 } },
  });
  await c.audit.append({ kind: "approval", actor: "carol", repo: "acme/app", pull: 7, sha: SHA, environment: "staging", via: "comment" });
  await c.audit.append({ kind: "apply", actor: "slipway", repo: "acme/app", pull: 7, sha: SHA, project: EVIL_PROJECT, environment: "staging", via: "merge" });
  await c.audit.append({ kind: "command.refused", actor: "mallory", repo: "acme/app", reason: "<script>alert('reason')</script>", via: "comment" });
  await c.audit.append({ kind: "plan", actor: "eve", repo: "acme/secret", pull: 3, via: "comment" });
  await c.queue.add(
    "plan",
    { kind: "plan", trigger: "autoplan", pull: { repo: { owner: "acme", name: "app", installationId: 1 }, number: 7, headSha: SHA, title: EVIL_TITLE } },
    { jobId: "plan/acme/app/7/q" },
  );
  // Queued, no line printed yet: one of acme/app, one of acme/secret.
  await c.queue.add(
    "plan",
    {
      kind: "plan",
      trigger: "command",
      requestedBy: "alice",
      pull: { repo: { owner: "acme", name: "app", installationId: 1 }, number: 8, headSha: SHA, title: "Resize the cluster" },
    },
    { jobId: "plan/acme/app/8/q" },
  );
  await c.queue.add(
    "plan",
    { kind: "plan", trigger: "autoplan", pull: { repo: { owner: "acme", name: "secret", installationId: 1 }, number: 5, headSha: SHA, title: "Rotate vault" } },
    { jobId: "plan/acme/secret/5/q" },
  );
  await c.queue.add(
    "plan",
    { kind: "plan", trigger: "autoplan", pull: { repo: { owner: "acme", name: "secret", installationId: 1 }, number: 3, headSha: SHA } },
    { jobId: "plan/acme/secret/3/q" },
  );
  for (const [runId, repo, lines] of [
    ["plan/acme/app/9/done", "acme/app", ["$ sh plan.sh", EVIL_LINE, "+ create network"]],
    ["plan/acme/secret/3/q", "acme/secret", ["vault password rotated"]],
  ] as const) {
    const writer = new RedisRunLogWriter(c.redis, c.prefix, { runId, repo, kind: "plan", startedAt: new Date().toISOString() });
    for (const l of lines) writer.line(l, "network", "plan");
    await writer.end();
  }
  alice = await signIn(c, sim, "alice");
  rob = await signIn(c, sim, "rob");
});

after(async () => {
  await c.close();
  await sim.stop();
  assert.deepEqual(sim.violations, []);
});

const get = (url: string, cookie: string) => c.app.inject({ method: "GET", url, headers: { cookie } });

describe("what a person sees", () => {
  test("environments: project × environment with commit, PR, approvers, time, and what waits and why", async () => {
    const res = await get("/", alice);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /acme\/app/);
    assert.doesNotMatch(res.body, /acme\/secret/);
    assert.match(res.body, /eeeeeee/);
    assert.match(res.body, /#7/);
    assert.match(res.body, /carol/);
    assert.match(res.body, /waits: manual: waits for \/apply production/);
    // The hostile project name is shown as text, never as markup.
    assert.ok(res.body.includes("net&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
    assert.ok(!res.body.includes("<img src=x"));
  });

  test("locks, runs and audit list only the person's repositories", async () => {
    const locks = await get("/locks", alice);
    assert.match(locks.body, /network/);
    assert.doesNotMatch(locks.body, /vault|acme\/secret/);
    const runs = await get("/runs", alice);
    assert.match(runs.body, /plan%2Facme%2Fapp%2F7%2Fq/);
    assert.doesNotMatch(runs.body, /secret/);
    const audit = await get("/audit", alice);
    assert.match(audit.body, /carol/);
    assert.doesNotMatch(audit.body, /eve/);
    assert.ok(audit.body.includes("&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;"));
    assert.ok(!audit.body.includes("<script>alert"));
  });

  test("another repository's pages are 404, exactly like a repository that does not exist", async () => {
    for (const url of ["/runs/plan%2Facme%2Fsecret%2F3%2Fq", "/audit?repo=acme/secret", "/runs/plan%2Facme%2Fnone%2F1%2Fq"]) {
      const res = await get(url, alice);
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /vault|eve/);
    }
    assert.equal((await get("/runs/plan%2Facme%2Fapp%2F7%2Fq", alice)).statusCode, 200);
  });

  test("hostile paths and filters get 400 or 404 with the value escaped", async () => {
    assert.equal((await get("/runs/%3Cscript%3Ealert(1)%3C%2Fscript%3E", alice)).statusCode, 404);
    const bad = await get("/audit?since=%3Cscript%3Ealert(1)%3C/script%3E", alice);
    assert.equal(bad.statusCode, 400);
    assert.ok(!bad.body.includes("<script>alert(1)"));
    assert.equal((await get("/audit?kind=nope&bogus=1", alice)).statusCode, 400);
    assert.equal((await get("/static/..%2Fsession.ts", alice)).statusCode, 404);
  });

  test("the API accepts the session and answers for the person's repositories only", async () => {
    const locks = (await get("/api/v1/locks", alice)).json() as { locks: { repo: string }[] };
    assert.deepEqual(
      locks.locks.map((l) => l.repo),
      ["acme/app"],
    );
    assert.equal((await get("/api/v1/environments?repo=acme/secret", alice)).statusCode, 404);
    const csv = await get("/api/v1/audit?format=csv", alice);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers["content-type"]), /text\/csv/);
    assert.match(csv.body, /carol/);
    assert.doesNotMatch(csv.body, /eve/);
    const ndjson = (await get("/api/v1/audit?format=ndjson", alice)).body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
    assert.ok(ndjson.every((e) => e.repo === "acme/app"));
    assert.equal((await c.app.inject({ method: "GET", url: "/api/v1/locks" })).statusCode, 401);
  });
});

describe("pull request titles", () => {
  test("shown next to the pull request on the environments, runs and run pages, escaped", async () => {
    for (const url of ["/", "/runs", "/runs/plan%2Facme%2Fapp%2F7%2Fq"]) {
      const res = await get(url, alice);
      assert.equal(res.statusCode, 200, url);
      assert.ok(res.body.includes(`#7</a> <span class="pull-title">${EVIL_TITLE_ESCAPED}</span>`), url);
      assert.ok(!res.body.includes("<img src=x onerror=alert(1)>"), url);
    }
  });
});

describe("a run before its first line", () => {
  const queued = "/runs/plan%2Facme%2Fapp%2F8%2Fq";

  test("its page says what it is and that it is queued, and waits for the log", async () => {
    const page = await get(queued, alice);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1>plan · acme\/app #8<\/h1>/);
    assert.match(page.body, /state-queued">queued/);
    assert.match(page.body, /Resize the cluster/);
    assert.match(page.body, /command by alice/);
    assert.match(page.body, /Queued: the log appears below when the run prints its first line\./);
    assert.ok(page.body.includes(`data-stream="${queued}/log"`), "the page streams the log");
  });

  test("its log streams once lines arrive, on the console and on the API", async () => {
    const base = await c.app.listen({ port: 0, host: "127.0.0.1" });
    const conn = await openSse(`${base}${queued}/log`, { cookie: alice });
    try {
      assert.equal(conn.status, 200);
      const api = await openSse(`${base}/api/v1/runs/plan%2Facme%2Fapp%2F8%2Fq/log`, { cookie: alice });
      assert.equal(api.status, 200);
      api.close();
      const writer = new RedisRunLogWriter(c.redis, c.prefix, {
        runId: "plan/acme/app/8/q",
        repo: "acme/app",
        pull: 8,
        kind: "plan",
        startedAt: new Date().toISOString(),
      });
      writer.line("$ sh plan.sh", "network", "plan");
      await writer.end();
      const events = await eventsUntil(conn, (e) => e.event === "end");
      assert.deepEqual(
        events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).line),
        ["$ sh plan.sh"],
      );
    } finally {
      conn.close();
    }
  });

  test("another repository's queued run, and a run nothing knows, are 404", async () => {
    for (const url of [
      "/runs/plan%2Facme%2Fsecret%2F5%2Fq",
      "/runs/plan%2Facme%2Fsecret%2F5%2Fq/log",
      "/api/v1/runs/plan%2Facme%2Fsecret%2F5%2Fq/log",
      "/runs/plan%2Facme%2Fapp%2F99%2Fnone/log",
      "/api/v1/runs/plan%2Facme%2Fapp%2F99%2Fnone/log",
    ]) {
      const res = await c.app.inject({ method: "GET", url, headers: { cookie: alice, accept: "text/event-stream" } });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /vault|Rotate/i, url);
    }
  });
});

describe("run logs", () => {
  test("a finished run's page shows its whole log, each line escaped; the text log too", async () => {
    const page = await get("/runs/plan%2Facme%2Fapp%2F9%2Fdone", alice);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Complete\./);
    assert.match(page.body, /\+ create network/);
    assert.ok(page.body.includes("&lt;script&gt;alert(&quot;log&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert.ok(!page.body.includes('<script>alert("log")'));
    assert.match(page.body, /data-stream=""/, "nothing to stream once ended");
    const text = await get("/runs/plan%2Facme%2Fapp%2F9%2Fdone/log", alice);
    assert.equal(text.body, `$ sh plan.sh\n${EVIL_LINE}\n+ create network\n`);
  });

  test("another repository's log is a 404 on the console and on the API with a session, but not with the token", async () => {
    for (const url of ["/runs/plan%2Facme%2Fsecret%2F3%2Fq/log", "/api/v1/runs/plan%2Facme%2Fsecret%2F3%2Fq/log"]) {
      const res = await get(url, alice);
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /vault/);
    }
    const bearer = await c.app.inject({
      method: "GET",
      url: "/api/v1/runs/plan%2Facme%2Fsecret%2F3%2Fq/log",
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.match(bearer.body, /vault password rotated/);
  });
});

describe("actions", () => {
  test("a reader is refused a lock release; a writer's is audited as theirs, from the console", async () => {
    const page = await get("/locks", rob);
    assert.match(page.body, /needs write access/);
    const refused = await c.app.inject({
      method: "POST",
      url: "/locks/release",
      headers: { cookie: rob },
      payload: { _csrf: csrfOf(page.body), repo: "acme/app", project: "network" },
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(c.unlocks.length, 0);

    const mine = await get("/locks", alice);
    const hostile = await c.app.inject({
      method: "POST",
      url: "/locks/release",
      headers: { cookie: alice },
      payload: { _csrf: csrfOf(mine.body), repo: "acme/app", project: "<script>" },
    });
    assert.equal(hostile.statusCode, 400);
    assert.ok(!hostile.body.includes("<script>"));
    const forged = await c.app.inject({
      method: "POST",
      url: "/locks/release",
      headers: { cookie: alice },
      payload: { _csrf: csrfOf(page.body), repo: "acme/app", project: "network" },
    });
    assert.equal(forged.statusCode, 403, "rob's token is not alice's");
    const hidden = await c.app.inject({
      method: "POST",
      url: "/locks/release",
      headers: { cookie: alice },
      payload: { _csrf: csrfOf(mine.body), repo: "acme/secret", project: "vault" },
    });
    assert.equal(hidden.statusCode, 404);
    const ok = await c.app.inject({
      method: "POST",
      url: "/locks/release",
      headers: { cookie: alice },
      payload: { _csrf: csrfOf(mine.body), repo: "acme/app", project: "network" },
    });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, "/locks?done=released");
    assert.deepEqual(
      c.unlocks.map((u) => [u.repo.owner, u.repo.name, u.project, u.pullNumber, u.by, u.via]),
      [["acme", "app", "network", 7, "alice", "console"]],
    );
  });

  test("a reader cannot cancel a queued run; a writer can, audited and told on the pull request", async () => {
    const url = "/runs/plan%2Facme%2Fapp%2F7%2Fq/cancel";
    const robPage = await get("/runs", rob);
    assert.equal((await c.app.inject({ method: "POST", url, headers: { cookie: rob }, payload: { _csrf: csrfOf(robPage.body) } })).statusCode, 403);
    assert.ok(await c.queue.getJob("plan/acme/app/7/q"));
    const page = await get("/runs", alice);
    const res = await c.app.inject({ method: "POST", url, headers: { cookie: alice }, payload: { _csrf: csrfOf(page.body) } });
    assert.equal(res.headers.location, "/runs?done=cancelled");
    assert.equal(await c.queue.getJob("plan/acme/app/7/q"), undefined);
    const events = (await c.audit.page({ repo: "acme/app", kind: "run.cancelled" }, 10)).events;
    assert.deepEqual(
      events.map((e) => [e.actor, e.via, e.pull]),
      [["alice", "console", 7]],
    );
    assert.match(c.comments.at(-1)!.body, /cancelled by @alice from the Slipway console/);
    const secret = await c.app.inject({
      method: "POST",
      url: "/runs/plan%2Facme%2Fsecret%2F3%2Fq/cancel",
      headers: { cookie: alice },
      payload: { _csrf: csrfOf(page.body) },
    });
    assert.equal(secret.statusCode, 404);
    assert.ok(await c.queue.getJob("plan/acme/secret/3/q"));
  });
});

describe("access follows GitHub", () => {
  test("a person removed from a repository loses it once the 5-minute cache runs out", async () => {
    sim.core.state.repo("acme/app")!.permissions.delete("rob");
    assert.match((await get("/", rob)).body, /acme\/app/, "still cached");
    c.clock.now += ACCESS_MAX_AGE_MS;
    try {
      const home = await get("/", rob);
      assert.equal(home.statusCode, 200);
      assert.doesNotMatch(home.body, /acme\/app/);
      assert.equal((await get("/api/v1/environments?repo=acme/app", rob)).statusCode, 404);
    } finally {
      c.clock.now -= ACCESS_MAX_AGE_MS;
    }
  });
});
