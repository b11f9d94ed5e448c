// Intake against GitHub's real example payloads (@octokit/webhooks-examples).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { intentsFor } from "../../../src/intake/intake.ts";
import { planIntentFromPullRequest } from "../../../src/intake/pull-request-intent.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, any>[] }[];

function example(event: string, action: string): Record<string, any> {
  const found = examples.find((e) => e.name === event)?.examples.find((x) => x.action === action);
  assert.ok(found, `example ${event}.${action}`);
  // The examples lack `installation`; GitHub always sends it to an app.
  return structuredClone({ ...found, installation: { id: 42 } });
}

test("pull_request.opened becomes an autoplan intent with the head and base facts", () => {
  const payload = example("pull_request", "opened");
  const intent = planIntentFromPullRequest(payload, "d-1");
  assert.ok(intent);
  assert.equal(intent.trigger, "autoplan");
  assert.equal(intent.deliveryId, "d-1");
  assert.deepEqual(intent.pull.repo, { owner: "Codertocat", name: "Hello-World", installationId: 42 });
  assert.equal(intent.pull.number, payload.pull_request.number);
  assert.equal(intent.pull.headSha, payload.pull_request.head.sha);
  assert.equal(intent.pull.baseSha, payload.pull_request.base.sha);
  assert.equal(intent.pull.fromFork, false);
  assert.equal(intent.pull.updatedAt, Date.parse(payload.pull_request.updated_at));
});

test("synchronize, reopened and ready_for_review plan; closed, labeled and converted_to_draft do not", () => {
  for (const action of ["synchronize", "reopened", "ready_for_review"]) {
    assert.ok(planIntentFromPullRequest(example("pull_request", action), "d"), action);
  }
  for (const action of ["closed", "labeled", "converted_to_draft", "assigned"]) {
    assert.equal(planIntentFromPullRequest(example("pull_request", action), "d"), null, action);
  }
});

test("a head in another repository is a fork; a deleted fork too", () => {
  const payload = example("pull_request", "opened");
  payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: "mallory/Hello-World" };
  assert.equal(planIntentFromPullRequest(payload, "d")?.pull.fromFork, true);
  payload.pull_request.head.repo = null;
  assert.equal(planIntentFromPullRequest(payload, "d")?.pull.fromFork, true);
});

test("drafts are carried as facts: the job decides with the config", () => {
  const payload = example("pull_request", "opened");
  payload.pull_request.draft = true;
  assert.equal(planIntentFromPullRequest(payload, "d")?.pull.draft, true);
});

test("a payload without an installation yields nothing instead of a broken job", () => {
  const payload = example("pull_request", "opened");
  delete payload.installation;
  assert.equal(planIntentFromPullRequest(payload, "d"), null);
});

test("events Slipway does not handle yield no intent", () => {
  for (const e of examples) {
    if (e.name === "pull_request") continue;
    for (const x of e.examples) assert.deepEqual(intentsFor({ id: "d", name: e.name, payload: x }), [], `${e.name}.${x.action}`);
  }
});
