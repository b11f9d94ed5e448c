import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CommentIntent, EventIntent } from "../../../src/domain/intent.ts";
import { renderFailedCommand } from "../../../src/presentation/render/command-reply.ts";
import { failedCommandReply } from "../../../src/presentation/render/failed-command.ts";

const repo = { owner: "acme", name: "infra", installationId: 1 };
const comment = (body: string, extra: Partial<CommentIntent> = {}): CommentIntent => ({
  kind: "comment",
  deliveryId: "d1",
  repo,
  pullNumber: 7,
  commentId: 70,
  user: "alice",
  body,
  ...extra,
});
const REASON = "a request to GitHub failed (HTTP 404)";

describe("failedCommandReply: who is answered", () => {
  test("a comment's commands are named as typed, with their arguments, and said not completed, maybe done in part, retried by commenting again", () => {
    const reply = failedCommandReply(comment("thanks!\n/unlock app web\n"), REASON);
    assert.deepEqual(reply?.commands, ["/unlock app web"]);
    assert.equal(
      reply?.body,
      "Slipway could not complete `/unlock app web`: a request to GitHub failed (HTTP 404) (the worker's log has the details), and it is not tried again. " +
        "It may have been carried out in part: check this pull request's checks and comments before you comment it again, which runs it again.\n",
    );
  });

  test("several commands of one comment are all named; on a release or drift issue the issue is meant", () => {
    const reply = failedCommandReply(comment("/approve cancel\n/apply production", { releaseSha: "a".repeat(40) }), REASON);
    assert.deepEqual(reply?.commands, ["/approve cancel", "/apply production"]);
    assert.match(reply!.body, /^Slipway could not complete `\/approve cancel`, `\/apply production`: /);
    assert.match(
      reply!.body,
      /, and they are not tried again\. They may have been carried out in part: check this issue's checks and comments before you comment them again, which runs them again\./,
    );
    assert.match(failedCommandReply(comment("/apply", { driftProject: "app" }), REASON)!.body, /this issue's/);
  });

  test("nobody is answered for a comment without a valid command, nor for reviews, closes and the API's unlocks", () => {
    assert.equal(failedCommandReply(comment("/aply\n/ not a command"), REASON), undefined);
    const others: EventIntent[] = [
      { kind: "review", deliveryId: "d", repo, pullNumber: 7, user: "bob", state: "approved", commitId: "b".repeat(40) },
      { kind: "pull_closed", deliveryId: "d", repo, pullNumber: 7, merged: false },
      { kind: "unlock", deliveryId: "d", repo: { owner: "acme", name: "infra" }, pullNumber: 7, project: "app", by: "ops", via: "api" },
    ];
    for (const intent of others) assert.equal(failedCommandReply(intent, REASON), undefined, intent.kind);
  });
});

describe("renderFailedCommand", () => {
  test("the reason is one line of plain text that pages nobody; command text is in a code span", () => {
    const body = renderFailedCommand(["/plan a`b"], "<b>x</b>\n@acme/sre", "pull request");
    assert.match(body, /^Slipway could not complete ``\/plan a`b``: &lt;b&gt;x&lt;\/b&gt; `@acme\/sre` \(/);
    assert.equal(body.split("\n").length, 2);
  });
});
