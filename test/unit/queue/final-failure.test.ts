import assert from "node:assert/strict";
import { test } from "node:test";
import { UnrecoverableError } from "bullmq";
import { finalFailure } from "../../../src/queue/final-failure.ts";
import { STALLED_TOO_OFTEN } from "../../../src/queue/stall-limit.ts";

// As the `failed` event sees it: attemptsMade already counts the attempt that just failed.
const plan = (attemptsMade: number, stalledCounter = 0) => ({ attemptsMade, stalledCounter, opts: { attempts: 2 } });

test("a plan's first failed attempt is not final: BullMQ tries it again", () => {
  assert.equal(finalFailure(plan(1), new Error("GitHub answered 502")), undefined);
});

test("a plan's last failed attempt is final", () => {
  assert.deepEqual(finalFailure(plan(2), new Error("GitHub answered 502")), { kind: "last_attempt" });
  // A job without `attempts` has one.
  assert.deepEqual(finalFailure({ attemptsMade: 1, stalledCounter: 0, opts: {} }, new Error("x")), { kind: "last_attempt" });
});

test("a job its workers kept dying under is stalled out, whatever its attempts", () => {
  assert.deepEqual(finalFailure(plan(1, 2), new UnrecoverableError(STALLED_TOO_OFTEN)), { kind: "stalled_out", stops: 2 });
  assert.deepEqual(finalFailure(plan(2, 2), new UnrecoverableError(STALLED_TOO_OFTEN)), { kind: "stalled_out", stops: 2 });
});
