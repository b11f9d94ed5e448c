import { test } from "node:test";
import assert from "node:assert/strict";
import { cronExpressionProblem } from "../../../src/repo-config/cron-expression.ts";

test("standard 5-field expressions are accepted", () => {
  for (const ok of ["0 */6 * * *", "*/15 * * * *", "0 0 1 1 *", "30 2 * * MON-FRI", "0 9-17/2 * JAN,jul 0,7", "59 23 31 12 6", "0,30 * * * *"]) {
    assert.equal(cronExpressionProblem(ok), undefined, ok);
  }
});

test("malformed expressions say what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["0 */6 * *", /expected 5 fields .* found 4/],
    ["0 0 * * * *", /found 6/],
    ["@daily", /macros such as @daily are not supported/],
    ["60 * * * *", /minute field "60": "60" is not allowed \(0-59\)/],
    ["0 24 * * *", /hour field/],
    ["0 0 0 * *", /day of month field "0"/],
    ["0 0 * 13 *", /month field/],
    ["0 0 * * 8", /day of week field/],
    ["*/0 * * * *", /step "0" must be a positive whole number/],
    ["5-1 * * * *", /runs backwards/],
    ["0 0 * * FUNDAY", /"FUNDAY" is not allowed/],
    ["1/2/3 * * * *", /more than one `\/`/],
    ["", /expected 5 fields/],
  ];
  for (const [expression, reason] of cases) assert.match(cronExpressionProblem(expression) ?? "(valid)", reason, expression);
});
