import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderPlanCheck, formatDuration } from "../../../src/presentation/render/plan-check.ts";
import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TEXT_MAX, CHECK_RUN_TITLE_MAX } from "../../../src/presentation/render/github-limits.ts";
import { assertGolden } from "./golden-file.ts";
import { hasBrokenSurrogate, readStructure } from "./markdown-structure.ts";
import { HEAD, JSON_PLANNED, NO_CHANGES, STAGING_PLAN, bigOutput, result } from "./run-results.ts";

const plan = { phase: "plan" as const, headSha: HEAD };

describe("renderPlanCheck", () => {
  test("changes: success, with the counts in title and summary (golden)", () => {
    const check = renderPlanCheck(
      result({
        project: "network-staging",
        dir: "envs/staging/network",
        environment: "staging",
        status: "changes",
        counts: { add: 1, change: 1, destroy: 0 },
        output: STAGING_PLAN,
        durationMs: 12_345,
      }),
      plan,
    );
    assert.equal(check.name, "slipway/plan: network-staging");
    assert.equal(check.conclusion, "success");
    assert.equal(check.title, "Plan: 1 to add, 1 to change, 0 to destroy");
    assert.equal(readStructure(check.text).blocks[0], STAGING_PLAN.trimEnd());
    assertGolden("plan-check-changes", `${check.title}\n\n---\n\n${check.summary}\n---\n\n${check.text}`);
  });

  test("a JSON plan: replace/import/move counts in the title, each touched resource in the summary (golden)", () => {
    const check = renderPlanCheck(
      result({ project: "web", dir: "envs/staging/web", environment: "staging", status: "changes", output: "Plan: 2 to add.", ...JSON_PLANNED }),
      plan,
    );
    assert.equal(check.title, "Plan: 2 to add, 1 to change, 1 to destroy (1 to replace, 1 to import, 1 to move)");
    assert.match(check.summary, /^- replace `aws_instance\.web`$/m);
    assert.match(check.summary, /^- import `aws_s3_bucket\.legacy`$/m);
    assert.match(check.summary, /^- update `module\.net\.aws_subnet\.a` \(moved from `aws_subnet\.a`\)$/m);
    assertGolden("plan-check-json-plan", `${check.title}\n\n---\n\n${check.summary}`);
  });

  test("a resource list longer than the check shows ends with how many more", () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ address: `aws_route53_record.r[${i}]`, action: "create" as const }));
    const check = renderPlanCheck(
      result({ project: "dns", status: "changes", counts: { add: 1500, change: 0, destroy: 0 }, resourceChanges: many, resourceChangesTotal: 1500 }),
      plan,
    );
    assert.match(check.summary, /^\*\*Resources\*\* \(1500\):$/m);
    assert.match(check.summary, /^- … and 1300 more$/m);
    assert.ok(check.summary.length <= CHECK_RUN_SUMMARY_MAX);
  });

  test("conclusions per SPEC §6", () => {
    const cases: [Parameters<typeof result>[0], string, RegExp][] = [
      [{ project: "p", status: "no_changes", output: NO_CHANGES }, "neutral", /^No changes$/],
      [{ project: "p", status: "error", reason: "exit code 1" }, "failure", /^Plan failed: exit code 1$/],
      [{ project: "p", status: "timed_out", reason: "after 30 min" }, "failure", /^Plan timed out: after 30 min$/],
      [{ project: "p", status: "superseded" }, "neutral", /^Superseded by a newer commit$/],
      [{ project: "p", status: "locked", reason: "locked by #17" }, "failure", /^Locked by #17$/],
    ];
    for (const [r, conclusion, title] of cases) {
      const check = renderPlanCheck(result(r), plan);
      assert.equal(check.conclusion, conclusion, r.status);
      assert.match(check.title, title);
    }
  });

  test("locked: the summary names the holder and how the lock is released", () => {
    const check = renderPlanCheck(result({ project: "dns", status: "locked", reason: "locked by #17" }), plan);
    assert.match(check.summary, /Another pull request holds this project's lock \(locked by #17\)/);
    assert.match(check.summary, /`\/unlock`/);
  });

  test("superseded: the summary says which commit it describes", () => {
    const check = renderPlanCheck(result({ project: "dns", status: "superseded" }), plan);
    assert.match(check.summary, /describes `3f9c2ab`, which is no longer the head/);
  });

  test("apply phase: named slipway/apply and worded as an apply", () => {
    const check = renderPlanCheck(result({ project: "dns", status: "changes", counts: { add: 0, change: 2, destroy: 1 } }), { phase: "apply", headSha: HEAD });
    assert.equal(check.name, "slipway/apply: dns");
    assert.equal(check.title, "Applied: 0 added, 2 changed, 1 destroyed");
  });

  test("huge output, huge reason: every field within GitHub's limits, text cut at a line", () => {
    const out = bigOutput(3_000_000);
    const check = renderPlanCheck(
      result({ project: "big", status: "error", reason: "boom ".repeat(100_000), output: out, fullLogPath: "/logs/big.log" }),
      plan,
    );
    assert.ok(check.title.length <= CHECK_RUN_TITLE_MAX);
    assert.ok(check.summary.length <= CHECK_RUN_SUMMARY_MAX);
    assert.ok(check.text.length <= CHECK_RUN_TEXT_MAX);
    assert.ok(check.text.length > CHECK_RUN_TEXT_MAX - 1_000, "uses the room it has");
    const s = readStructure(check.text);
    assert.equal(s.unclosedFence, false);
    assert.ok(out.startsWith(s.blocks[0]! + "\n"));
    assert.match(check.text, /Output cut at a line boundary: 3\.0 MB in total; the full log is at `\/logs\/big\.log` on the worker\./);
  });

  test("unicode at the edge of the text limit is not split", () => {
    const check = renderPlanCheck(result({ project: "u", output: "😀".repeat(100_000) }), plan);
    assert.ok(check.text.length <= CHECK_RUN_TEXT_MAX);
    assert.equal(hasBrokenSurrogate(check.text), false);
  });

  test("durations read naturally", () => {
    assert.equal(formatDuration(850), "850 ms");
    assert.equal(formatDuration(12_345), "12.3 s");
    assert.equal(formatDuration(245_000), "4 min 5 s");
  });
});
