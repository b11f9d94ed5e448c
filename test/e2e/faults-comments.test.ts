// Fault test: hostile PR comments. Whatever a commenter writes, Slipway runs only what the config
// declares (the project's own plan steps, for a plain `/plan alpha`), answers every refused line
// with a reply, and creates no check run a legitimate command would not. Marker files and a
// canary directory detect anything a shell would have run.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { access, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startE2E, type E2E } from "../support/e2e.ts";
import type { PullInfo } from "../support/scenario/scenario.ts";
import { waitFor } from "../support/scenario/wait-for.ts";
import type { CommentState } from "../support/github-simulator/state.ts";
import { BOT, STICKY, hasEyes, keepLogs } from "./change-control-helpers.ts";

type Json = Record<string, any>;

const REPO = "acme/faults-comments";
const tag = randomBytes(6).toString("hex");
const markers: string[] = [];
/** A path a hostile comment tries to create; it must never exist. */
const marker = () => {
  const m = path.join(tmpdir(), `slipway-pwned-${tag}-${markers.length}`);
  markers.push(m);
  return m;
};
const canary = path.join(tmpdir(), `slipway-canary-${tag}`);

let e2e: E2E;
let pr: PullInfo;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const checksOnHead = () => e2e.gh.checkRuns(REPO, { headSha: pr.headSha });
const planChecks = () => checksOnHead().filter((c) => c.name === "slipway/plan: alpha");

function replies(after: number): Json[] {
  return e2e.gh.comments(REPO, pr.number).filter((c) => c.id > after && c.user.login === BOT && !String(c.body).includes(STICKY));
}

/** Posts a comment and waits for Slipway's reply to it (comments are posted one at a time). */
async function commentAndReply(user: string, body: string, timeoutMs = 30_000): Promise<{ comment: CommentState; reply: Json }> {
  const comment = await e2e.gh.comment(pr, user, body);
  const reply = await waitFor(() => replies(comment.id)[0], { timeoutMs, what: `a reply to ${JSON.stringify(body.slice(0, 60))}` });
  return { comment, reply };
}

function assertRefusedLines(reply: Json, lines: number[]): void {
  for (const n of lines) assert.match(reply.body, new RegExp(`Line ${n}\\b`), `line ${n} is answered:\n${reply.body}`);
}

describe("hostile comments on a pull request", () => {
  before(async () => {
    await mkdir(canary, { recursive: true });
    await writeFile(path.join(canary, "keep"), "must survive\n");
    e2e = await startE2E();
    e2e.gh.addUser("alice", { permission: "write" });
    e2e.gh.addUser("bob", { permission: "read" });
    await e2e.gh.createRepo({ owner: "acme", name: "faults-comments", fixture: "two-projects" });
    pr = await e2e.gh.openPullRequest({ repo: REPO, author: "alice", branch: "target", files: { "alpha/desired.txt": "v2\n" } });
    await waitFor(() => planChecks().find((c) => c.status === "completed" && c.conclusion === "success"), { timeoutMs: 30_000, what: "the first plan" });
  });
  after(async () => {
    await keepLogs("faults-comments", [e2e?.slipway.logs() ?? ""]);
    await e2e?.stop();
    await rm(canary, { recursive: true, force: true });
    for (const m of markers) await rm(m, { recursive: true, force: true });
  });

  test("shell metacharacters in arguments: every line refused with a reply, nothing run", async () => {
    const lines = [
      `/plan $(touch ${marker()})`,
      `/plan \`touch ${marker()}\``,
      `/plan alpha; touch ${marker()}; rm -rf ${canary}`,
      `/plan alpha && touch ${marker()}`,
      `/plan alpha | sh -c 'touch ${marker()}'`,
      `/apply alpha$(touch ${marker()})`,
      `/plan --exec=touch ${marker()}`,
      `/unlock ../../../../..${marker()}`,
      `/approve "production"; touch ${marker()}`,
      `/plan alpha>${marker()}`,
    ];
    const { comment, reply } = await commentAndReply("alice", lines.join("\n"));
    assertRefusedLines(
      reply,
      lines.map((_, i) => i + 1),
    );
    assert.equal(hasEyes(e2e.gh, comment.id), false, "no command was accepted");
  });

  test("unicode lookalikes: each line answered, none taken for a command", async () => {
    const lines = [
      "／plan alpha", // fullwidth solidus
      "\u200B/plan alpha", // zero-width space before the slash
      "\u2215plan alpha", // division slash
      "/plan ａｌｐｈａ", // fullwidth letters
      "/plan \u0430lpha", // Cyrillic a
      "/plan alpha\u202E", // right-to-left override
    ];
    const { comment, reply } = await commentAndReply("alice", lines.join("\n"));
    assertRefusedLines(
      reply,
      lines.map((_, i) => i + 1),
    );
    assert.equal(hasEyes(e2e.gh, comment.id), false);
  });

  // The lookalike letter sits in the command word itself: to its author this is `/plan`, so
  // silence would look like a command that did nothing (README: "every refused or misspelt
  // command gets a reply").
  test("a lookalike letter inside the command word is answered too", async () => {
    // 15 s: other replies take a few seconds (Octokit spaces comment writes 3 s apart).
    const { comment, reply } = await commentAndReply("alice", "/pl\u0430n alpha", 15_000); // Cyrillic a in "plan"
    assertRefusedLines(reply, [1]);
    assert.equal(hasEyes(e2e.gh, comment.id), false);
  });

  test("unknown projects, environments and commands: each line answered", async () => {
    const lines = ["/plan gamma", "/plan alpha nosuch", "/apply production", "/unlock ../alpha", "/frobnicate alpha", "/plan ."];
    const { comment, reply } = await commentAndReply("alice", lines.join("\n"));
    assertRefusedLines(
      reply,
      lines.map((_, i) => i + 1),
    );
    assert.match(reply.body, /gamma/);
    assert.match(reply.body, /\/frobnicate/);
    assert.equal(hasEyes(e2e.gh, comment.id), false);
  });

  test("a 100 KB comment of hostile lines: one bounded reply, nothing run", async () => {
    const m = marker();
    // GitHub caps comments at 65,536 characters; 4-byte emoji make it over 100 KB in bytes.
    const hostile = Array.from({ length: 700 }, () => `/plan $(touch ${m})`).join("\n");
    const body = `${hostile}\n${"🚀".repeat(65_000 - [...hostile].length)}`;
    assert.ok(Buffer.byteLength(body) > 100 * 1024, `${Buffer.byteLength(body)} bytes`);
    const { comment, reply } = await commentAndReply("alice", body);
    assertRefusedLines(reply, [1, 2, 3, 10]);
    assert.match(reply.body, /690 from line 11 on were not run/, "the rest is summarised in one line");
    assert.ok(reply.body.length <= 65_536);
    assert.equal(replies(comment.id).length, 1, "one reply, not one per line");
    assert.equal(hasEyes(e2e.gh, comment.id), false);
  });

  test("a reader's /plan is refused with a reply", async () => {
    const { comment, reply } = await commentAndReply("bob", "/plan alpha");
    assert.match(reply.body, /permission|write/i, reply.body);
    assert.equal(hasEyes(e2e.gh, comment.id), false);
  });

  test("a legitimate /plan next to a hostile line: only the legitimate one runs", async () => {
    const m = marker();
    const { comment, reply } = await commentAndReply("alice", `/plan alpha\n/plan alpha;touch ${m}`);
    assertRefusedLines(reply, [2]);
    assert.doesNotMatch(reply.body, /Line 1\b/);
    assert.ok(hasEyes(e2e.gh, comment.id), "the legitimate command is acknowledged");
    await waitFor(() => planChecks().filter((c) => c.status === "completed").length === 2, { timeoutMs: 30_000, what: "the second plan of alpha" });
  });

  // Last: it sees what every comment above caused.
  test("nothing ran that the config does not declare, and no extra check run appeared", async () => {
    await e2e.idle(); // whatever a comment above started (a wrong plan or apply) has ended
    for (const m of markers) assert.equal(await exists(m), false, `${m} was created: a comment ran a shell`);
    assert.ok(await exists(path.join(canary, "keep")), "the canary survived `; rm -rf`");
    const names = checksOnHead()
      .map((c) => c.name)
      .sort();
    assert.deepEqual(names, ["slipway/plan: alpha", "slipway/plan: alpha"], "the autoplan and the one legitimate /plan, nothing else");
    const accepted = e2e.slipway.logs().match(/"msg":"command accepted"/g) ?? [];
    assert.equal(accepted.length, 1, "one command accepted in all");
    assert.doesNotMatch(e2e.slipway.logs(), /"msg":"job failed"/);
    assert.deepEqual(e2e.sim.violations, []);
  });
});
