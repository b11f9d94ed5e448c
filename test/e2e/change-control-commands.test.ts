// PR comment commands end to end: who may run them, what is answered, what is ignored.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { applyRecords, botReplies, eyesOn, hasEyes, planned, replyTo, startGated, type Gated } from "./change-control-helpers.ts";

let g: Gated;

async function openAppPr(branch: string): Promise<PullInfo> {
  const repo = await g.newRepo();
  const pr = await g.gh.openPullRequest({ repo, author: "alice", branch, files: { "app/desired.txt": `${branch}\n` } });
  await planned(g.gh, pr, "app");
  return pr;
}

describe("commands on pull requests", () => {
  before(async () => {
    g = await startGated("cc-commands");
  });
  after(async () => {
    await g?.stop();
  });

  test("a read-only user's /apply is refused with a reply saying why, and nothing runs", async () => {
    const pr = await openAppPr("read-only");
    const command = await g.gh.comment(pr, "bob", "/apply");
    const reply = await replyTo(g.gh, pr, command, "a reply refusing bob's /apply");
    assert.match(reply.body, /bob/, "the reply names the user");
    assert.match(reply.body, /write access/i, "the reply says why");
    await g.e2e.idle();
    assert.equal(hasEyes(g.gh, command.id), false, "a refused command gets no 👀");
    assert.deepEqual(g.gh.checkRuns(pr.repo, { name: "slipway/apply: app" }), [], "no apply check");
    assert.deepEqual(await applyRecords(g.worldDir, pr.headSha), [], "apply.sh never ran");
    assert.equal(botReplies(g.gh, pr, command.id).length, 1, "one reply, once");
  });

  test("an unknown command is answered with the valid commands", async () => {
    const pr = await openAppPr("unknown");
    const command = await g.gh.comment(pr, "alice", "/deploy production");
    const reply = await replyTo(g.gh, pr, command, "a reply to /deploy");
    assert.match(reply.body, /unknown command/i);
    assert.match(reply.body, /\/deploy/, "it quotes what was not understood");
    for (const valid of ["/plan", "/apply", "/approve", "/unlock", "/help"]) assert.ok(reply.body.includes(valid), `lists ${valid}:\n${reply.body}`);
  });

  test("a bad argument is answered, naming what is valid", async () => {
    const pr = await openAppPr("bad-arg");
    const command = await g.gh.comment(pr, "alice", "/plan nosuchproject");
    const reply = await replyTo(g.gh, pr, command, "a reply to /plan nosuchproject");
    assert.match(reply.body, /nosuchproject/);
    assert.match(reply.body, /\bapp\b/, "the known projects are listed");
    assert.match(reply.body, /\bweb\b/);
  });

  test("an accepted command gets 👀 and no refusal", async () => {
    const pr = await openAppPr("accepted");
    const command = await g.gh.comment(pr, "alice", "/plan app");
    await eyesOn(g.gh, command);
    await g.e2e.idle();
    assert.deepEqual(botReplies(g.gh, pr, command.id), [], "no reply to an accepted /plan");
  });

  test("/help lists the commands", async () => {
    const pr = await openAppPr("help");
    const command = await g.gh.comment(pr, "alice", "/help");
    const reply = await replyTo(g.gh, pr, command, "the /help reply");
    for (const valid of ["/plan", "/apply", "/approve", "/unlock", "/rollback"]) assert.ok(reply.body.includes(valid), `lists ${valid}:\n${reply.body}`);
  });

  test("edited comments and comments by bots are ignored", async () => {
    const pr = await openAppPr("ignored");
    g.gh.addUser("ci-helper[bot]", { type: "Bot", permission: "write" });
    const plain = await g.gh.comment(pr, "alice", "looks good");
    await g.gh.editComment(plain.id, "alice", "/deploy");
    const byBot = await g.gh.comment(pr, "ci-helper[bot]", "/deploy");
    // The control: the same text as a new comment by a person is answered, so silence above means "ignored".
    const control = await g.gh.comment(pr, "alice", "/deploy");
    await replyTo(g.gh, pr, control, "the reply to the control /deploy");
    await g.e2e.idle();
    const replies = botReplies(g.gh, pr, plain.id);
    assert.equal(replies.length, 1, `only the control is answered: ${replies.map((r) => r.body).join("\n---\n")}`);
    assert.equal(hasEyes(g.gh, plain.id), false);
    assert.equal(hasEyes(g.gh, byBot.id), false);
  });
});
