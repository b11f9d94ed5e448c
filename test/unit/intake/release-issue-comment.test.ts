// A comment on a release issue (a direct push's waiting deploy) is a command comment naming the
// deploy's commit; the same comment on an unmarked or unlabelled issue is conversation.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { commentIntent } from "../../../src/intake/conversation-intents.ts";
import { RELEASE_LABEL, releaseMarker } from "../../../src/presentation/render/release-issue.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, any>[] }[];
const SHA = "3f".repeat(20);

function issueComment(labels: string[], body: string): Record<string, any> {
  const found = examples.find((e) => e.name === "issue_comment")!.examples.find((x) => x.action === "created" && !x.issue.pull_request)!;
  const payload: Record<string, any> = structuredClone({ ...found, installation: { id: 42 } });
  payload.issue.labels = labels.map((name) => ({ name }));
  payload.issue.body = body;
  payload.comment.body = "/apply production";
  payload.comment.user = { ...payload.comment.user, type: "User" };
  payload.sender = { ...payload.sender, type: "User" };
  return payload;
}

test("a command on a release issue names the deploy's commit", () => {
  const intent = commentIntent(issueComment([RELEASE_LABEL], `${releaseMarker(SHA)}\n## Deploy`), "d-1");
  assert.ok(intent);
  assert.equal(intent.releaseSha, SHA);
  assert.equal(intent.driftProject, undefined);
  assert.equal(intent.body, "/apply production");
});

test("without the label or without the marker, an issue's comment is not a command", () => {
  assert.equal(commentIntent(issueComment([], `${releaseMarker(SHA)}\n`), "d-2"), null);
  assert.equal(commentIntent(issueComment([RELEASE_LABEL], "a release, says the body"), "d-3"), null);
});
