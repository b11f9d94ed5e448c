// A cut output links to the run's page on the console, where the whole log is (SLIPWAY_PUBLIC_URL).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runLogUrl } from "../../../src/logs/run-log-url.ts";
import { CHECK_RUN_TEXT_MAX, ISSUE_COMMENT_BODY_MAX } from "../../../src/presentation/render/github-limits.ts";
import { renderPlanCheck } from "../../../src/presentation/render/plan-check.ts";
import { renderPlanComment } from "../../../src/presentation/render/plan-comment.ts";
import { HEAD, bigOutput, result } from "./run-results.ts";

const RUN_ID = "plan/acme/infra/7/0123456789abcdef0123456789abcdef01234567";
const URL_OF_RUN = "https://slipway.example.com/runs/plan%2Facme%2Finfra%2F7%2F0123456789abcdef0123456789abcdef01234567";

describe("links to the full log", () => {
  test("the run's page: the id encoded as one path segment, nothing that ends a Markdown link", () => {
    assert.equal(runLogUrl("https://slipway.example.com/", RUN_ID), URL_OF_RUN);
    const odd = runLogUrl("https://slipway.example.com", "deploy/acme/infra/release/prod (eu)/d-1");
    assert.equal(odd, "https://slipway.example.com/runs/deploy%2Facme%2Finfra%2Frelease%2Fprod%20%28eu%29%2Fd-1");
    assert.equal(decodeURIComponent(odd.split("/runs/")[1]!), "deploy/acme/infra/release/prod (eu)/d-1");
  });

  test("a sticky comment cut to GitHub's limit links to the full log", () => {
    const body = renderPlanComment({
      pr: 7,
      headSha: HEAD,
      results: [result({ project: "big", status: "changes", output: bigOutput(3_000_000), fullLogUrl: URL_OF_RUN })],
    });
    assert.ok(body.length <= ISSUE_COMMENT_BODY_MAX);
    assert.match(
      body,
      new RegExp(`Output cut at a line boundary: [^\\n]*\\[the full log\\]\\(${URL_OF_RUN.replace(/[.]/g, "\\.")}\\) is on Slipway's console`),
    );
  });

  test("a check run cut to its limit, and output the runner shortened, link to it too", () => {
    const check = renderPlanCheck(result({ project: "big", status: "changes", output: bigOutput(1_000_000), fullLogUrl: URL_OF_RUN }), {
      phase: "plan",
      headSha: HEAD,
    });
    assert.ok(check.text.length <= CHECK_RUN_TEXT_MAX);
    assert.ok(check.text.includes(`[the full log](${URL_OF_RUN})`));
    const shortened = renderPlanComment({
      pr: 1,
      headSha: HEAD,
      results: [result({ project: "a", output: "head of log\n", truncated: true, fullLogPath: "/logs/a.log", fullLogUrl: URL_OF_RUN })],
    });
    assert.ok(shortened.includes(`_Output shortened by the runner; [the full log](${URL_OF_RUN}) is on Slipway's console._`));
  });

  test("without a run log the worker's path is named, as before", () => {
    const check = renderPlanCheck(result({ project: "big", status: "changes", output: bigOutput(1_000_000), fullLogPath: "/logs/big.log" }), {
      phase: "plan",
      headSha: HEAD,
    });
    assert.ok(check.text.includes("the full log is at `/logs/big.log` on the worker"));
    assert.ok(!check.text.includes("/runs/"));
  });
});
