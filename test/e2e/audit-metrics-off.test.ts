// SLIPWAY_AUDIT=off and SLIPWAY_METRICS=off: a pull request planned end to end (lock taken, check
// run, comment) leaves no audit key and no metrics key in Redis, `GET /metrics` answers 404 and
// `GET /api/v1/audit` says the trail is off.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { AUDIT_OFF } from "../../src/server/api/api-routes.ts";
import { startE2E, type E2E } from "../support/e2e.ts";
import { waitFor } from "../support/scenario/wait-for.ts";

const TOKEN = "e2e-api-token-audit-off-0001";
let e2e: E2E;
let redis: Redis;

async function keys(pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    out.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return out;
}

describe("SLIPWAY_AUDIT=off, SLIPWAY_METRICS=off", () => {
  before(async () => {
    e2e = await startE2E({ env: { SLIPWAY_AUDIT: "off", SLIPWAY_METRICS: "off", SLIPWAY_API_TOKEN: TOKEN } });
    e2e.gh.addUser("alice", { permission: "write" });
    redis = new Redis(e2e.slipway.redisUrl, { lazyConnect: true });
    await redis.connect();
  });
  after(async () => {
    redis?.disconnect();
    await e2e?.stop();
  });

  test("a planned pull request records nothing, and /metrics is 404", async () => {
    const repo = "acme/quiet";
    await e2e.gh.createRepo({
      owner: "acme",
      name: "quiet",
      files: {
        ".slipway.yml": [
          "version: 1",
          "projects:",
          "  - name: app",
          "    dir: app",
          "    workflow: quick",
          "workflows:",
          "  quick:",
          '    plan: [{run: "true"}]',
          "",
        ].join("\n"),
        "app/main.tf": "# app\n",
      },
    });
    const pr = await e2e.gh.openPullRequest({ repo, author: "alice", branch: "change", files: { "app/main.tf": "# app v2\n" } });
    await waitFor(() => e2e.gh.comments(repo, pr.number)[0]?.body.includes(pr.headSha.slice(0, 7)), { timeoutMs: 30_000, what: "the plan comment" });
    await e2e.idle();
    const checks = e2e.gh.checkRuns(repo, { headSha: pr.headSha }).map((c) => [c.name, c.status]);
    assert.deepEqual(checks, [["slipway/plan: app", "completed"]]);
    // Longer than the recorder's once-a-second flush, had there been one.
    await new Promise((r) => setTimeout(r, 1500));

    const prefix = e2e.slipway.prefix;
    assert.ok((await keys(`${prefix}:*`)).length > 0, "the run wrote its other keys under this prefix");
    assert.deepEqual(await keys(`${prefix}:{audit}*`), [], "no audit key");
    assert.deepEqual(await keys(`${prefix}:{metrics}*`), [], "no metrics key");

    const metrics = await fetch(`${e2e.slipway.url}/metrics`);
    assert.equal(metrics.status, 404);
    assert.doesNotMatch(await metrics.text(), /slipway_/);

    const audit = await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(audit.status, 404);
    assert.deepEqual(await audit.json(), AUDIT_OFF);
    const unauthorised = await fetch(`${e2e.slipway.url}/api/v1/audit?repo=${repo}`);
    assert.equal(unauthorised.status, 401, "the token is still asked for first");
    const locks = await fetch(`${e2e.slipway.url}/api/v1/locks?repo=${repo}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(locks.status, 200, "the rest of the API answers as before");
  });
});
