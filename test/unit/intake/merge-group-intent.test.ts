// merge_group intake against GitHub's example payload (@octokit/webhooks-examples).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { intentsFor } from "../../../src/intake/intake.ts";
import { mergeGroupIntent, queuedPullNumber } from "../../../src/intake/merge-group-intent.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, any>[] }[];

function checksRequested(): Record<string, any> {
  const found = examples.find((e) => e.name === "merge_group")?.examples.find((x) => x.action === "checks_requested");
  assert.ok(found, "example merge_group.checks_requested");
  return structuredClone(found);
}

test("merge_group.checks_requested becomes an intent with the group's commits and its pull request", () => {
  const payload = checksRequested();
  const [intent] = intentsFor({ id: "d-1", name: "merge_group", payload });
  assert.ok(intent && intent.kind === "merge_group");
  assert.equal(intent.action, "checks_requested");
  assert.equal(intent.headSha, payload.merge_group.head_sha);
  assert.equal(intent.baseSha, payload.merge_group.base_sha);
  assert.equal(intent.baseRef, "main");
  assert.equal(intent.headRef, "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64");
  assert.equal(intent.pullNumber, 104);
  assert.equal(intent.repo.installationId, payload.installation.id);
  assert.equal(intent.reason, undefined);
});

test("merge_group.destroyed keeps its reason; other actions and broken payloads are not handled", () => {
  const destroyed = { ...checksRequested(), action: "destroyed", reason: "dequeued" };
  assert.equal(mergeGroupIntent(destroyed, "d-2")?.reason, "dequeued");
  assert.equal(mergeGroupIntent({ ...checksRequested(), action: "something_else" }, "d-3"), null);
  const broken = checksRequested();
  delete broken.merge_group.head_sha;
  assert.equal(mergeGroupIntent(broken, "d-4"), null);
});

test("the pull request is read from the queue's branch name, with or without refs/heads/", () => {
  assert.equal(queuedPullNumber("refs/heads/gh-readonly-queue/main/pr-7-0123456789abcdef0123456789abcdef01234567"), 7);
  assert.equal(queuedPullNumber("gh-readonly-queue/release/v2/pr-12-0123456789abcdef0123456789abcdef01234567"), 12);
  assert.equal(queuedPullNumber("feature/pr-x"), undefined);
});
