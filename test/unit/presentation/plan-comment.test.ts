// Golden files live in test/fixtures/golden/; after a deliberate wording change, rewrite them with
// `UPDATE_GOLDEN=1 node --import tsx --test test/unit/presentation/*.test.ts` and review the diff.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { STICKY_MARKER, renderPlanComment } from "../../../src/presentation/render/plan-comment.ts";
import { ISSUE_COMMENT_BODY_MAX } from "../../../src/presentation/render/github-limits.ts";
import { assertGolden } from "./golden-file.ts";
import { hasBrokenSurrogate, readStructure } from "./markdown-structure.ts";
import { HEAD, JSON_PLANNED, NO_CHANGES, STAGING_PLAN, bigOutput, result } from "./run-results.ts";

const NOTES = ["Comment `/plan` to re-plan, `/approve` to approve."];

function assertWellFormed(body: string, projects: string[]): void {
  assert.ok(body.length <= ISSUE_COMMENT_BODY_MAX, `body is ${body.length} characters`);
  assert.ok(body.startsWith(`${STICKY_MARKER}\n`));
  const s = readStructure(body);
  assert.equal(s.unclosedFence, false, "a code fence was left open");
  assert.equal(s.detailsOpen, projects.length, "one <details> per project, outside code");
  assert.equal(s.detailsClose, projects.length, "every <details> closed, outside code");
  assert.ok(s.outside.includes("| Project | Dir | Environment | Result | Changes |"), "table header present");
  for (const p of projects)
    assert.ok(
      s.outside.some((l) => l.startsWith(`| \`${p}\` |`)),
      `table row for ${p}`,
    );
  assert.equal(hasBrokenSurrogate(body), false);
}

describe("renderPlanComment: golden files", () => {
  test("two projects: one with changes and counts, one without", () => {
    const body = renderPlanComment({
      pr: 42,
      headSha: HEAD,
      results: [
        result({
          project: "network-staging",
          dir: "envs/staging/network",
          environment: "staging",
          status: "changes",
          counts: { add: 1, change: 1, destroy: 0 },
          output: STAGING_PLAN,
        }),
        result({ project: "dns", dir: "global/dns", status: "no_changes", output: NO_CHANGES }),
      ],
      notes: NOTES,
    });
    assertWellFormed(body, ["network-staging", "dns"]);
    assertGolden("plan-comment-two-projects", body);
  });

  test("a JSON plan: counts with replacements in the table, touched resources in the project's section", () => {
    const body = renderPlanComment({
      pr: 42,
      headSha: HEAD,
      results: [result({ project: "web", dir: "envs/staging/web", environment: "staging", status: "changes", output: "Plan: 2 to add.", ...JSON_PLANNED })],
    });
    assertWellFormed(body, ["web"]);
    assert.match(body, /\| `\+2 ~1 -1 \(1 to replace, 1 to import, 1 to move\)` \|/);
    assertGolden("plan-comment-json-plan", body);
  });

  test("an error with its reason", () => {
    const body = renderPlanComment({
      pr: 42,
      headSha: HEAD,
      results: [
        result({
          project: "network-production",
          dir: "envs/production/network",
          environment: "production",
          status: "error",
          reason: "terraform plan exited with code 1",
          output: "Error: Invalid reference\n\n  on main.tf line 12:\n  12:   vpc_id = aws_vpc.mian.id\n",
        }),
      ],
      notes: NOTES,
    });
    assertWellFormed(body, ["network-production"]);
    assert.match(body, /❌ error/);
    assertGolden("plan-comment-error", body);
  });

  test("a superseded run and a project locked by another PR", () => {
    const body = renderPlanComment({
      pr: 43,
      headSha: HEAD,
      results: [
        result({ project: "network-staging", dir: "envs/staging/network", status: "superseded", reason: "a newer commit was pushed" }),
        result({ project: "dns", dir: "global/dns", status: "locked", reason: "locked by #17" }),
      ],
    });
    assertWellFormed(body, ["network-staging", "dns"]);
    assert.match(body, /\| 🔒 locked by #17 \|/);
    assertGolden("plan-comment-superseded", body);
  });

  test("the apply phase says so in the header", () => {
    const body = renderPlanComment({ pr: 1, headSha: HEAD, phase: "apply", results: [result({ project: "dns" })] });
    assert.match(body, /^## Slipway apply for `3f9c2ab`$/m);
  });
});

describe("renderPlanComment: cutting to GitHub's limit", () => {
  test("5 MB of output: body fits, cut at a line boundary, note names the full log and the check run", () => {
    const huge = bigOutput(5_000_000);
    const body = renderPlanComment({
      pr: 7,
      headSha: HEAD,
      results: [
        result({
          project: "big",
          status: "changes",
          counts: { add: 70000, change: 0, destroy: 0 },
          output: huge,
          fullLogPath: "/var/lib/slipway/logs/big.log",
        }),
        result({ project: "small", status: "no_changes", output: NO_CHANGES }),
      ],
      notes: NOTES,
    });
    assertWellFormed(body, ["big", "small"]);
    assert.ok(body.length > ISSUE_COMMENT_BODY_MAX - 2_000, "the budget is used, not wasted");
    const s = readStructure(body);
    const bigBlock = s.blocks[0]!;
    assert.ok(huge.startsWith(bigBlock + "\n"), "the kept output is a prefix of whole lines");
    assert.equal(s.blocks[1], NO_CHANGES.trimEnd(), "the small output is shown in full");
    assert.match(
      body,
      /Output cut at a line boundary: 5\.0 MB in total; the full log is at `\/var\/lib\/slipway\/logs\/big\.log` on the worker\. The `slipway\/plan: big` check run shows more\./,
    );
    assert.ok(body.trimEnd().endsWith(NOTES[0]!), "notes come last");
  });

  test("30 projects printing 1 MB each: every section present and each gets a fair share", () => {
    const names = Array.from({ length: 30 }, (_, i) => `project-${String(i).padStart(2, "0")}`);
    const body = renderPlanComment({
      pr: 9,
      headSha: HEAD,
      results: names.map((project) => result({ project, status: "changes", output: bigOutput(1_000_000, project) })),
      notes: NOTES,
    });
    assertWellFormed(body, names);
    const blocks = readStructure(body).blocks;
    assert.equal(blocks.length, 30);
    const sizes = blocks.map((b) => b.length);
    assert.ok(Math.min(...sizes) > 1000, `every project shows some output (smallest ${Math.min(...sizes)})`);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) < 200, "shares are even");
    assert.equal(body.match(/Output cut at a line boundary: 1\.0 MB in total; the full log was not kept\./g)?.length, 30);
  });

  test("output containing ``` and </details> cannot break out of its section", () => {
    const hostile = "before\n```\n</details>\n<details><summary>fake</summary>\n````\nafter ``` inline\n";
    const body = renderPlanComment({
      pr: 1,
      headSha: HEAD,
      results: [result({ project: "a", status: "error", output: hostile }), result({ project: "b", output: NO_CHANGES })],
    });
    assertWellFormed(body, ["a", "b"]);
    assert.equal(readStructure(body).blocks[0], hostile.trimEnd(), "shown verbatim inside one block");
    assert.match(body, /^`````$/m, "a fence longer than any in the output");
  });

  test("hostile output that is also huge: cut and still well-formed", () => {
    const hostile = "```\n</details>\n".repeat(200_000);
    const body = renderPlanComment({ pr: 1, headSha: HEAD, results: [result({ project: "a", output: hostile }), result({ project: "b", output: hostile })] });
    assertWellFormed(body, ["a", "b"]);
  });

  test("emoji and CJK near the cut are never split", () => {
    const line = "资源 😀 変更 🚀 ok\n";
    const out = "x".repeat(10) + "\n" + ("😀🚀".repeat(20) + "漢字\n" + line).repeat(50_000);
    const body = renderPlanComment({ pr: 1, headSha: HEAD, results: [result({ project: "u", output: out })] });
    assertWellFormed(body, ["u"]);
    const block = readStructure(body).blocks[0]!;
    assert.ok(out.startsWith(block + "\n"));
  });

  test("one enormous line is cut inside, at a character boundary", () => {
    const out = "🚀".repeat(2_000_000);
    const body = renderPlanComment({ pr: 1, headSha: HEAD, results: [result({ project: "u", output: out })] });
    assertWellFormed(body, ["u"]);
    assert.ok(readStructure(body).blocks[0]!.length > 50_000);
  });

  test("table cells escape pipes and names cannot inject markup", () => {
    const body = renderPlanComment({
      pr: 1,
      headSha: HEAD,
      results: [result({ project: "a|b", dir: "x`y", environment: "<img src=x>", status: "locked", reason: "locked by #3 <script>" })],
    });
    assert.match(body, /\| `a\\\|b` \| ``x`y`` \| &lt;img src=x&gt; \|/);
    assert.doesNotMatch(body, /<script>|<img/);
  });

  test("no projects: says so instead of an empty table", () => {
    const body = renderPlanComment({ pr: 1, headSha: HEAD, results: [] });
    assert.match(body, /No project is affected/);
    assert.doesNotMatch(body, /<details>/);
  });

  test("hundreds of projects: still within the limit, with a pointer to the check runs", () => {
    const names = Array.from({ length: 400 }, (_, i) => `p${i}-${"n".repeat(90)}`);
    const body = renderPlanComment({ pr: 1, headSha: HEAD, results: names.map((project) => result({ project, dir: project, output: bigOutput(2000) })) });
    assert.ok(body.length <= ISSUE_COMMENT_BODY_MAX);
    const s = readStructure(body);
    assert.equal(s.unclosedFence, false);
    assert.equal(s.detailsOpen, s.detailsClose);
    assert.match(body, /\| … and 300 more \|/);
    assert.match(body, /more projects not shown here; see the `slipway\/plan` check runs/);
  });

  test("runner-truncated output says where the full log is even when it fits", () => {
    const body = renderPlanComment({
      pr: 1,
      headSha: HEAD,
      results: [result({ project: "a", output: "head of log\n", truncated: true, fullLogPath: "/logs/a.log" })],
    });
    assert.match(body, /_Output shortened by the runner; the full log is at `\/logs\/a\.log` on the worker\._/);
  });
});
