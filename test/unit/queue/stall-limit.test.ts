import assert from "node:assert/strict";
import { test } from "node:test";
import { UnrecoverableError } from "bullmq";
import { STALLED_TOO_OFTEN, workerStops } from "../../../src/queue/stall-limit.ts";
import { interruptedLine } from "../../../src/logs/job-log.ts";

test("a job BullMQ failed for stalling too often: how many times its workers stopped", () => {
  assert.equal(workerStops({ stalledCounter: 2 }, new UnrecoverableError(STALLED_TOO_OFTEN)), 2);
  // The error crosses processes: its name and message count, not its class.
  assert.equal(workerStops({ stalledCounter: 3 }, { name: "UnrecoverableError", message: STALLED_TOO_OFTEN }), 3);
  // Whatever the counter says, it stopped at least once.
  assert.equal(workerStops({ stalledCounter: 0 }, new UnrecoverableError(STALLED_TOO_OFTEN)), 1);
});

test("any other failure is not a stalled-out job", () => {
  assert.equal(workerStops({ stalledCounter: 2 }, new Error(STALLED_TOO_OFTEN)), undefined);
  assert.equal(workerStops({ stalledCounter: 2 }, new UnrecoverableError("job started more than allowable limit")), undefined);
  assert.equal(workerStops({ stalledCounter: 1 }, new Error("git fetch failed")), undefined);
});

test("the log's last line says how often the worker stopped, or only that it did (an apply)", () => {
  assert.equal(interruptedLine(2), "slipway: the worker running this stopped 2 times before it finished; it is not tried again");
  assert.equal(interruptedLine(1), "slipway: the worker running this stopped 1 time before it finished; it is not tried again");
  assert.match(interruptedLine(), /stopped before it finished; it is not run again \(see the pull request\)$/);
});
