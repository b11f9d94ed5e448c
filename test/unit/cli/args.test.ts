import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "../../../src/cli/args.ts";

describe("parseArgs", () => {
  test("check with its flags, as separate or = values", () => {
    assert.deepEqual(parseArgs(["check"]), { command: "check", json: false });
    assert.deepEqual(parseArgs(["check", "--base", "main", "--head=feature/x", "--json"]), { command: "check", base: "main", head: "feature/x", json: true });
  });

  test("help", () => {
    for (const argv of [[], ["help"], ["--help"], ["check", "-h"]]) assert.deepEqual(parseArgs(argv), { command: "help" }, argv.join(" "));
  });

  test("usage errors, one line each", () => {
    const cases: [string[], RegExp][] = [
      [["plan"], /unknown command "plan"/],
      [["check", "--bsae", "main"], /unknown option "--bsae"/],
      [["check", "--base"], /--base needs a ref/],
      [["check", "--base="], /--base needs a ref/],
      [["check", "--base", "--json"], /"--json" is not a ref/],
      [["check", "--base", "a", "--base", "b"], /--base given twice/],
      [["check", "--head", "x"], /--head needs --base/],
    ];
    for (const [argv, message] of cases) {
      const r = parseArgs(argv);
      assert.equal(r.command, "usage_error", argv.join(" "));
      assert.match(r.command === "usage_error" ? r.message : "", message);
      assert.doesNotMatch(r.command === "usage_error" ? r.message : "", /\n/);
    }
  });
});
