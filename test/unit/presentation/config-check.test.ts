import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderConfigCheck, renderNoConfigComment, renderSkippedComment } from "../../../src/presentation/render/config-check.ts";
import { STICKY_MARKER } from "../../../src/presentation/render/plan-comment.ts";
import { CHECK_RUN_SUMMARY_MAX, CHECK_RUN_TEXT_MAX, CHECK_RUN_TITLE_MAX } from "../../../src/presentation/render/github-limits.ts";
import { assertGolden } from "./golden-file.ts";
import { readStructure } from "./markdown-structure.ts";

const typo = {
  file: ".slipway.yml",
  line: 6,
  column: 5,
  path: "projects[0].workfow",
  message: "unknown key `workfow`",
  hint: "did you mean `workflow`?",
};

describe("renderConfigCheck", () => {
  test("each error as file:line:column — message, with its hint (golden)", () => {
    const check = renderConfigCheck([
      typo,
      { file: ".slipway.yml", line: 2, column: 8, path: "apply", message: "must be after_merge or before_merge", hint: "use `apply: after_merge`" },
    ]);
    assert.equal(check.name, "slipway/config");
    assert.equal(check.conclusion, "failure");
    assert.equal(check.title, "2 errors; first: .slipway.yml:6:5 — unknown key `workfow`");
    assert.match(check.summary, /- `\.slipway\.yml:6:5` — unknown key `workfow` \(at `projects\[0\]\.workfow`\)\n {2}- Fix: did you mean `workflow`\?/);
    assertGolden("config-check", `${check.title}\n\n---\n\n${check.summary}\n---\n\n${check.text}`);
  });

  test("user-controlled keys cannot inject HTML", () => {
    const check = renderConfigCheck([{ ...typo, message: "unknown key `<img src=x onerror=alert(1)>`" }]);
    assert.doesNotMatch(check.summary, /<img/);
  });

  test("thousands of errors stay within the limits", () => {
    const errors = Array.from({ length: 5_000 }, (_, i) => ({ ...typo, line: i + 1, message: "x".repeat(500) }));
    const check = renderConfigCheck(errors);
    assert.ok(check.title.length <= CHECK_RUN_TITLE_MAX);
    assert.ok(check.summary.length <= CHECK_RUN_SUMMARY_MAX);
    assert.ok(check.text.length <= CHECK_RUN_TEXT_MAX);
    assert.match(check.summary, /4980 more in the details below/);
    assert.match(check.text, /More errors were cut/);
  });
});

describe("comments about missing config and skipped PRs", () => {
  test("no config: sticky, explains, and shows a valid minimal example", () => {
    const body = renderNoConfigComment();
    assert.ok(body.startsWith(STICKY_MARKER));
    assert.match(body, /no `\.slipway\.yml`/);
    const example = readStructure(body).blocks[0]!;
    assert.match(example, /^version: 1$/m);
    assert.match(example, /^ {2}- name: /m);
  });

  test("draft and fork notes say why and what to do", () => {
    assert.match(renderSkippedComment("draft"), /Draft PR: not planned automatically; comment `\/plan` or mark it ready/);
    assert.match(renderSkippedComment("fork"), /PR from a fork: not planned because `allow_forks` is false/);
    assert.ok(renderSkippedComment("fork").startsWith(STICKY_MARKER));
  });
});
