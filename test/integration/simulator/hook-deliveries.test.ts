// The simulator's webhook delivery log, as an app reads it with its JWT: real failed attempts
// (connection refused, a 503), GitHub's cursor paging, and "Redeliver" sending the same bytes
// under the same delivery id. Answers are checked against GitHub's response schemas.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Probot } from "probot";
import { startGitHubSimulator, type GitHubSimulator } from "../../support/github-simulator/index.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/github-simulator/webhook-receiver.ts";
import { freePort } from "../../support/private-redis.ts";

type Json = Record<string, any>;

describe("GitHub simulator webhook delivery log", () => {
  let sim: GitHubSimulator;
  let receiver: WebhookReceiver;

  before(async () => {
    sim = await startGitHubSimulator({ validateResponses: true });
    receiver = await startWebhookReceiver();
    await sim.scenario.createRepo({ owner: "acme", name: "infra", fixture: "simple-repo" });
  });
  after(async () => {
    await sim?.stop();
    await receiver?.close();
  });

  const app = async () => new Probot({ appId: sim.appId, privateKey: sim.privateKey, baseUrl: sim.apiUrl }).auth();

  test("failed attempts are listed newest first, paged by cursor, and redelivered with the same id", async () => {
    sim.setWebhookTarget(`http://127.0.0.1:${await freePort()}/api/github/webhooks`); // nobody listens
    const pr = await sim.scenario.openPullRequest({ repo: "acme/infra", author: "dev", branch: "f", files: { "app/desired.txt": "2\n" } });
    sim.setWebhookTarget(receiver.url);
    receiver.respondWith(503);
    await sim.scenario.comment(pr, "dev", "/plan");
    receiver.respondWith(202);

    const octokit = await app();
    const seen: Json[] = [];
    let pages = 0;
    for await (const page of octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 1 })) {
      pages++;
      seen.push(...(page.data as Json[]));
    }
    assert.equal(pages, 3, "one attempt per page, followed through the Link header's cursor");
    assert.deepEqual(
      seen.map((d) => `${d.event}.${d.action ?? ""} ${d.status_code} ${d.status}`),
      ["issue_comment.created 503 Invalid HTTP Response: 503", "pull_request.opened 0 failed to connect", "push. 0 failed to connect"],
    );
    const comment = seen[0]!;
    assert.equal(comment.redelivery, false);
    assert.equal(comment.repository_id, sim.core.state.repo("acme/infra")!.id);

    const detail = (await octokit.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: comment.id })).data as Json;
    assert.equal(detail.request.payload.repository.full_name, "acme/infra");
    assert.equal(detail.guid, comment.guid);

    const before = receiver.received.length;
    const answer = await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: comment.id });
    assert.equal(answer.status, 202);
    await sim.idle();
    const resent = receiver.received.slice(before);
    assert.equal(resent.length, 1);
    assert.equal(resent[0]!.headers["x-github-delivery"], comment.guid);
    const newest = (await octokit.request("GET /app/hook/deliveries", { per_page: 1 })).data[0] as Json;
    assert.equal(newest.guid, comment.guid);
    assert.equal(newest.redelivery, true);
    assert.equal(newest.status_code, 202);
    assert.notEqual(newest.id, comment.id, "each attempt has its own id");
    assert.deepEqual(sim.violations, []);
  });

  test("the log answers the app's JWT only", async () => {
    const inst = sim.installationToken(sim.core.state.repo("acme/infra")!.installationId);
    const res = await fetch(`${sim.apiUrl}/app/hook/deliveries`, { headers: { authorization: `token ${inst}` } });
    assert.equal(res.status, 401);
    const missing = await (await app()).request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 1 }).catch((e: { status: number }) => e);
    assert.equal((missing as { status: number }).status, 404);
  });
});
