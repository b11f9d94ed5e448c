import assert from "node:assert/strict";
import { test } from "node:test";
import type { HookDeliveryAttempt } from "../../../src/github/port.ts";
import { HANDLED_EVENTS } from "../../../src/intake/intake.ts";
import {
  LOG_KEPT_MS,
  missedDeliveries,
  nextCheckpoint,
  rateLimitWaitMs,
  reachesBack,
  scanSince,
  type MissedInput,
} from "../../../src/recovery/missed-deliveries.ts";

const T0 = Date.parse("2026-11-26T10:00:00Z");
let nextId = 1;
function attempt(guid: string, secondsAfterT0: number, statusCode: number, more: Partial<HookDeliveryAttempt> = {}): HookDeliveryAttempt {
  return { id: nextId++, guid, deliveredAt: T0 + secondsAfterT0 * 1000, statusCode, redelivery: false, event: "pull_request", action: "opened", ...more };
}
const input = (attempts: HookDeliveryAttempt[], more: Partial<MissedInput> = {}): MissedInput => ({
  attempts,
  sinceMs: T0,
  asked: new Set(),
  events: new Set(HANDLED_EVENTS),
  ...more,
});
const guids = (i: MissedInput) => missedDeliveries(i).map((d) => d.guid);

test("a delivery none of whose attempts got a 2xx is missed: refused, 503, timed out", () => {
  const missed = missedDeliveries(input([attempt("refused", 1, 0), attempt("outage", 2, 503), attempt("fine", 3, 202)]));
  assert.deepEqual(
    missed.map((d) => [d.guid, d.lastStatus]),
    [
      ["refused", 0],
      ["outage", 503],
    ],
  );
});

test("attempts are grouped by delivery id: one that eventually succeeded is not missed", () => {
  const failedThenOk = [attempt("a", 1, 503), attempt("a", 2, 502), attempt("a", 30, 200)];
  assert.deepEqual(guids(input(failedThenOk)), []);
  const twiceFailed = [attempt("b", 1, 503), attempt("b", 2, 0)];
  const [missed] = missedDeliveries(input(twiceFailed));
  assert.equal(missed?.attemptId, twiceFailed[1]!.id, "the newest attempt is the one redelivered");
  assert.equal(missed?.firstAt, T0 + 1000);
});

test("a delivery redelivered since (by Slipway or by hand) is not asked for again, even if that failed too", () => {
  assert.deepEqual(guids(input([attempt("c", 1, 0), attempt("c", 5, 503, { redelivery: true })])), []);
});

test("what Slipway already asked for is not asked for again", () => {
  assert.deepEqual(guids(input([attempt("d", 1, 0), attempt("e", 2, 0)], { asked: new Set(["d"]) })), ["e"]);
});

test("deliveries before the checkpoint are not looked at; one with a newer attempt is", () => {
  const old = attempt("old", -10, 0);
  const straddling = [attempt("s", -10, 0), attempt("s", 10, 0)];
  assert.deepEqual(guids(input([old, ...straddling])), ["s"]);
});

test("events Slipway does not act on are not redelivered", () => {
  const attempts = [attempt("ping", 1, 0, { event: "ping", action: null }), attempt("run", 2, 0, { event: "check_run", action: "completed" })];
  assert.deepEqual(guids(input([...attempts, attempt("comment", 3, 0, { event: "issue_comment", action: "created" })])), ["comment"]);
});

test("missed deliveries come out oldest first, whatever the order listed: opened before /plan before the merge", () => {
  const listed = [
    attempt("merged", 30, 0, { action: "closed" }),
    attempt("plan", 20, 0, { event: "issue_comment", action: "created" }),
    attempt("opened", 10, 0),
  ];
  assert.deepEqual(guids(input(listed)), ["opened", "plan", "merged"]);
});

test("a scan looks back to its checkpoint, never beyond what GitHub keeps (72 hours)", () => {
  const now = T0 + 100 * 3600 * 1000;
  assert.equal(scanSince(undefined, now), now - LOG_KEPT_MS);
  assert.equal(scanSince(now - 3600_000, now), now - 3600_000);
  assert.equal(scanSince(now - 80 * 3600_000, now), now - LOG_KEPT_MS);
  assert.ok(nextCheckpoint(now) < now, "the next scan overlaps this one: attempts are listed only once answered");
});

test("paging stops at the page that reaches back to the checkpoint", () => {
  assert.equal(reachesBack([attempt("x", 50, 0), attempt("y", 40, 0)], T0), false);
  assert.equal(reachesBack([attempt("x", 5, 0), attempt("y", -1, 0)], T0), true);
  assert.equal(reachesBack([], T0), false);
});

test("rate limits: Retry-After, then the reset of an exhausted limit, then GitHub's minute; other errors are not waited on", () => {
  assert.equal(rateLimitWaitMs(429, { "retry-after": "7" }, T0), 7000);
  assert.equal(rateLimitWaitMs(403, { "retry-after": "60" }, T0), 60_000);
  assert.equal(rateLimitWaitMs(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(T0 / 1000 + 90) }, T0), 90_000);
  assert.equal(rateLimitWaitMs(429, {}, T0), 60_000);
  assert.equal(rateLimitWaitMs(403, { "x-ratelimit-remaining": "4999" }, T0), undefined, "a 403 without a limit hint is a refusal");
  assert.equal(rateLimitWaitMs(404, { "retry-after": "1" }, T0), undefined);
  assert.equal(rateLimitWaitMs(undefined, undefined, T0), undefined);
});
