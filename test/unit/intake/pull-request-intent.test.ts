// Intake against GitHub's real example payloads (@octokit/webhooks-examples).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { intentsFor } from "../../../src/intake/intake.ts";
import { planIntentFromPullRequest } from "../../../src/intake/pull-request-intent.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as { name: string; examples: Record<string, any>[] }[];

function example(event: string, action: string | undefined): Record<string, any> {
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
  const handled = new Set(["pull_request", "push", "issue_comment", "pull_request_review", "merge_group"]);
  for (const e of examples) {
    if (handled.has(e.name)) continue;
    for (const x of e.examples)
      assert.deepEqual(intentsFor({ id: "d", name: e.name, payload: { ...x, installation: { id: 1 } } }), [], `${e.name}.${x.action}`);
  }
});

test("a push to the default branch deploys its head; to another branch, or a deletion, nothing", () => {
  const push = example("push", undefined);
  const onMain = { ...push, ref: `refs/heads/${push.repository.default_branch}` };
  const [intent] = intentsFor({ id: "d", name: "push", payload: onMain });
  assert.equal(intent?.kind, "deploy");
  assert.equal(intent?.kind === "deploy" && intent.sha, push.after);
  assert.deepEqual(intentsFor({ id: "d", name: "push", payload: { ...onMain, ref: "refs/heads/feature" } }), []);
  assert.deepEqual(intentsFor({ id: "d", name: "push", payload: { ...onMain, deleted: true } }), []);
});

test("a merged pull request into the default branch releases its locks and deploys its merge commit", () => {
  const closed = example("pull_request", "closed");
  closed.pull_request.merged = true;
  closed.pull_request.merge_commit_sha = "a".repeat(40);
  closed.pull_request.base.ref = closed.repository.default_branch;
  const kinds = intentsFor({ id: "d", name: "pull_request", payload: closed }).map((i) => i.kind);
  assert.deepEqual(kinds, ["pull_closed", "deploy"]);
  closed.pull_request.merged = false;
  assert.deepEqual(
    intentsFor({ id: "d", name: "pull_request", payload: closed }).map((i) => i.kind),
    ["pull_closed"],
    "closed unmerged: no deploy",
  );
});

test("comments: commands on pull requests and drift issues; never from bots, never edits", () => {
  const created = example("issue_comment", "created");
  created.issue.pull_request = { url: "x" };
  created.comment.body = "thanks!\n/plan";
  created.comment.user = { login: "alice", type: "User" };
  created.sender = { login: "alice", type: "User" };
  assert.equal(intentsFor({ id: "d", name: "issue_comment", payload: created })[0]?.kind, "comment");
  assert.deepEqual(intentsFor({ id: "d", name: "issue_comment", payload: { ...created, comment: { ...created.comment, body: "no command here" } } }), []);
  assert.deepEqual(intentsFor({ id: "d", name: "issue_comment", payload: { ...created, action: "edited" } }), [], "edits are ignored");
  const bot = { login: "slipway[bot]", type: "Bot" };
  assert.deepEqual(
    intentsFor({ id: "d", name: "issue_comment", payload: { ...created, sender: bot, comment: { ...created.comment, user: bot } } }),
    [],
    "bots are ignored",
  );

  const onIssue = structuredClone(created);
  delete onIssue.issue.pull_request;
  assert.deepEqual(intentsFor({ id: "d", name: "issue_comment", payload: onIssue }), [], "an ordinary issue takes no command");
  onIssue.issue.labels = [{ name: "drift" }];
  onIssue.issue.body = "<!-- slipway:drift:net%2Fcore -->\nDrift";
  const [drift] = intentsFor({ id: "d", name: "issue_comment", payload: onIssue });
  assert.equal(drift?.kind === "comment" && drift.driftProject, "net/core");
});

test("the pull request's title rides along on every intent that has a pull request", () => {
  const opened = example("pull_request", "opened");
  opened.pull_request.title = `<img src=x onerror=alert(1)>"'&`;
  assert.equal(planIntentFromPullRequest(opened, "d")?.pull.title, `<img src=x onerror=alert(1)>"'&`);

  const closed = example("pull_request", "closed");
  closed.pull_request.merged = true;
  closed.pull_request.merge_commit_sha = "a".repeat(40);
  closed.pull_request.base.ref = closed.repository.default_branch;
  closed.pull_request.title = "Add a queue";
  const titles = intentsFor({ id: "d", name: "pull_request", payload: closed }).map((i) => [i.kind, "pullTitle" in i ? i.pullTitle : undefined]);
  assert.deepEqual(titles, [
    ["pull_closed", "Add a queue"],
    ["deploy", "Add a queue"],
  ]);

  const review = example("pull_request_review", "submitted");
  review.review.state = "approved";
  review.pull_request.title = "Resize";
  const [reviewed] = intentsFor({ id: "d", name: "pull_request_review", payload: review });
  assert.equal(reviewed?.kind === "review" && reviewed.pullTitle, "Resize");

  const comment = example("issue_comment", "created");
  comment.issue.pull_request = { url: "x" };
  comment.issue.title = "Resize";
  comment.comment.body = "/plan";
  comment.comment.user = comment.sender = { login: "alice", type: "User" };
  const [commented] = intentsFor({ id: "d", name: "issue_comment", payload: comment });
  assert.equal(commented?.kind === "comment" && commented.pullTitle, "Resize");
});

test("a payload without a title (or an empty one) leaves the field out", () => {
  const opened = example("pull_request", "opened");
  delete opened.pull_request.title;
  assert.equal("title" in planIntentFromPullRequest(opened, "d")!.pull, false);
  opened.pull_request.title = "";
  assert.equal("title" in planIntentFromPullRequest(opened, "d")!.pull, false);
});
