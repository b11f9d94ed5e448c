// What `drift.schedule` accepts is what BullMQ's job schedulers run: each case is also handed to
// BullMQ's own next-run computation (defaultRepeatStrategy, what upsertJobScheduler calls).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { defaultRepeatStrategy } from "bullmq";
import { driftScheduleProblem } from "../../../src/repo-config/drift-schedule.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");

/** When BullMQ would run `pattern` next, or why it cannot: "none" when it would schedule nothing. */
function bullmqNextRun(pattern: string): number | "none" | Error {
  try {
    return defaultRepeatStrategy(NOW, { pattern }) ?? "none";
  } catch (err) {
    return err as Error;
  }
}

test("the cron-parser that validates is the copy BullMQ schedules with", () => {
  const require = createRequire(import.meta.url);
  const bullmqRequire = createRequire(require.resolve("bullmq"));
  assert.equal(require.resolve("cron-parser"), bullmqRequire.resolve("cron-parser"), "npm installed a second cron-parser: align its version with bullmq's");
});

test("expressions BullMQ runs are accepted: 5 fields, 6 with seconds, macros, cron-parser's extensions", () => {
  const accepted = [
    "0 */6 * * *",
    "*/15 * * * *",
    "30 2 * * MON-FRI",
    "0 9-17/2 * JAN,jul 1-5",
    "0 0 29 2 *",
    "*/30 * * * * *",
    "0 0 */6 * * *",
    "@hourly",
    "@daily",
    "@weekly",
    "0 0 L * *",
    "0 0 * * 1#2",
  ];
  for (const expression of accepted) {
    assert.equal(driftScheduleProblem(expression), undefined, expression);
    const next = bullmqNextRun(expression);
    assert.ok(typeof next === "number" && next > NOW, `BullMQ runs ${expression}: ${String(next)}`);
  }
});

test("expressions BullMQ refuses are rejected with cron-parser's reason", () => {
  const cases: Array<[string, RegExp]> = [
    ["60 * * * *", /got value 60 expected range 0-59/],
    ["0 24 * * *", /got value 24 expected range 0-23/],
    ["0 0 0 * *", /got value 0 expected range 1-31/],
    ["0 0 * 13 *", /got value 13 expected range 1-12/],
    ["0 0 * * 8", /got value 8 expected range 0-7/],
    ["*/0 * * * *", /cannot repeat at every 0 time/],
    ["5-1 * * * *", /Invalid range: 5-1/],
    ["0 0 * * FUNDAY", /cannot resolve alias/],
    ["0 0 30 2 *", /Invalid explicit day of month/],
    ["0 0 * * * * *", /too many fields/],
    ["@fortnightly", /"@fortnightly" is not a macro cron-parser knows/],
    ["@HOURLY", /they are lower case/],
  ];
  for (const [expression, reason] of cases) {
    assert.match(driftScheduleProblem(expression) ?? "(accepted)", reason, expression);
    assert.ok(bullmqNextRun(expression) instanceof Error, `BullMQ refuses ${expression} too`);
  }
});

test("an expression no date matches is rejected: BullMQ would silently never run it", () => {
  assert.equal(bullmqNextRun("0 0 31 2,4 *"), "none");
  assert.equal(driftScheduleProblem("0 0 31 2,4 *"), "no date matches it, so it would never run");
});

test("fewer than 5 fields are rejected although BullMQ would run them at another time than meant", () => {
  for (const [expression, found] of [
    ["0 */6 * *", 4],
    ["", 0],
  ] as const) {
    assert.equal(typeof bullmqNextRun(expression), "number", `BullMQ fills in ${JSON.stringify(expression)}`);
    assert.equal(driftScheduleProblem(expression), `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found ${found}`);
  }
  assert.match(driftScheduleProblem("0 6") ?? "(accepted)", /found 2$/);
});
