import assert from "node:assert/strict";
import { test } from "node:test";
import { failureReason } from "../../../src/domain/failure-reason.ts";
import { SlipwayError } from "../../../src/domain/types.ts";

const TOKEN = "ghs_0123456789abcdefghij";

test("a failure is named by its kind, never by its message (which may hold a token)", () => {
  const cases: [unknown, string][] = [
    [
      new SlipwayError("head_not_fetched", `git fetch https://x-access-token:${TOKEN}@ghe/acme/infra.git failed`),
      "the commit could not be fetched from GitHub",
    ],
    [Object.assign(new Error(`Bad credentials ${TOKEN}`), { name: "HttpError", status: 502 }), "a request to GitHub failed (HTTP 502)"],
    [new SlipwayError("git_failed", `git worktree add failed: ${TOKEN}`), "a git command failed"],
    [new Error(`ECONNREFUSED redis://:${TOKEN}@127.0.0.1:6379`), "an unexpected error stopped it"],
    ["a string thrown", "an unexpected error stopped it"],
    [undefined, "an unexpected error stopped it"],
  ];
  for (const [err, reason] of cases) {
    assert.equal(failureReason(err), reason);
    assert.doesNotMatch(failureReason(err), new RegExp(TOKEN));
  }
});
