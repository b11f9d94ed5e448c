import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderAnswer, renderCommandErrors, renderHelp, renderRefusal } from "../../../src/presentation/render/command-reply.ts";
import { inertMentions } from "../../../src/presentation/render/markdown.ts";
import { parseCommands } from "../../../src/commands/parse-commands.ts";
import { COMMAND_SPECS } from "../../../src/commands/grammar.ts";
import { ISSUE_COMMENT_BODY_MAX } from "../../../src/presentation/render/github-limits.ts";
import { assertGolden } from "./golden-file.ts";

describe("renderCommandErrors", () => {
  test("each refused line with its number, the line and the reason (golden)", () => {
    const { errors } = parseCommands("/aprove production\nsome prose\n/plan $(rm -rf /)\n／plan", { knownEnvironments: ["production"] });
    const reply = renderCommandErrors(errors);
    assert.match(reply, /^- Line 1 `\/aprove production`: .*did you mean `\/approve`\?/m);
    assert.match(reply, /^- Line 3 `\/plan \$\(rm -rf \/\)`: /m);
    assertGolden("command-errors", reply);
  });

  test("invisible characters in the quoted line are made visible", () => {
    const reply = renderCommandErrors(parseCommands("\u200B/plan").errors);
    assert.match(reply, /`<U\+200B>\/plan`/);
  });

  test("user text cannot close its code span or mention anyone outside it", () => {
    const reply = renderCommandErrors([{ line: 1, text: "/plan `@everyone` <b>", reason: "x", code: "bad_argument" }]);
    assert.match(reply, /``\/plan `@everyone` <b>``/);
  });

  test("nothing to say: empty", () => {
    assert.equal(renderCommandErrors([]), "");
  });
});

describe("renderHelp and renderRefusal", () => {
  test("one line per command, pipes escaped in the table", () => {
    const help = renderHelp();
    for (const spec of COMMAND_SPECS) assert.ok(help.includes(spec.summary), spec.name);
    assert.match(help, /\| `\/apply \[project…\\\|environment\]` \|/);
    assert.doesNotMatch(help, /This pull request/);
  });

  test("with state: head, apply mode, projects, approvals and locks (golden)", () => {
    const help = renderHelp({
      headSha: "3f9c2ab71d0e",
      apply: "after_merge",
      projects: [
        { name: "network-staging", environment: "staging", result: "changes (+1 ~1 -0)" },
        { name: "dns", result: "no changes" },
      ],
      approvals: [{ environment: "production", approvedBy: ["octocat"], required: 2 }],
      locks: [{ project: "dns", heldByPr: 17 }],
    });
    assert.match(help, /- production: 1\/2 by `octocat`/);
    assert.match(help, /`dns`: held by #17/);
    assertGolden("help-with-state", help);
  });

  test("a refusal says which command and why, within the comment limit", () => {
    const r = renderRefusal("/apply production", "you need write permission on acme/infra to run commands.");
    assert.equal(r, "Slipway did not run `/apply production`: you need write permission on acme/infra to run commands.\n");
    assert.ok(renderRefusal("/plan", "x".repeat(200_000)).length <= ISSUE_COMMENT_BODY_MAX);
  });
});

describe("answers and mentions", () => {
  test("an answer says the command ran, and why it changes nothing", () => {
    assert.equal(
      renderAnswer("/approve", "Recorded, but it does not count: @alice is the author of this pull request."),
      "Slipway ran `/approve`. Recorded, but it does not count: `@alice` is the author of this pull request.\n",
    );
  });

  test("no one named in a reply is notified: users and teams go in code spans; HTML is escaped", () => {
    const r = renderRefusal("/apply production", "@erin is not an approver of `production` (approvers: @acme/sre, carol) <b>");
    assert.equal(r, "Slipway did not run `/apply production`: `@erin` is not an approver of `production` (approvers: `@acme/sre`, carol) &lt;b&gt;\n");
  });

  test("mentions already in code, and e-mail addresses, are left as they are", () => {
    assert.equal(inertMentions("`@acme/sre` and slipway@users.noreply.github.com"), "`@acme/sre` and slipway@users.noreply.github.com");
    assert.equal(inertMentions("@a, (@b/c-d.e) @@x"), "`@a`, (`@b/c-d.e`) @@x");
    assert.equal(inertMentions("approvers: @acme/sre."), "approvers: `@acme/sre`.", "a sentence's full stop stays outside");
  });
});
