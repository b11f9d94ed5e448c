import assert from "node:assert/strict";
import { test } from "node:test";
import { APPLY_QUEUE, EVENT_QUEUE, PLAN_QUEUE } from "../../../src/queue/jobs.ts";
import { describeRunning, shutdownReason, stillWaitingMessage, stoppedForShutdown, treatmentOnShutdown } from "../../../src/queue/shutdown.ts";

test("plans are put back on shutdown; applies and events get the grace", () => {
  assert.equal(treatmentOnShutdown(PLAN_QUEUE), "requeue");
  assert.equal(treatmentOnShutdown(APPLY_QUEUE), "finish_within_grace");
  assert.equal(treatmentOnShutdown(EVENT_QUEUE), "finish_within_grace");
});

test("the shutdown's log says which running jobs go back to the queue and which it waits for", () => {
  const running = [
    { queue: PLAN_QUEUE, id: "plan/acme/app/7/abc" },
    { queue: APPLY_QUEUE, id: "deploy/acme/app/def" },
    { queue: EVENT_QUEUE, id: "comment-1" },
  ];
  assert.deepEqual(describeRunning(running), {
    putBack: ["plans/plan/acme/app/7/abc"],
    waitingFor: ["applies/deploy/acme/app/def", `${EVENT_QUEUE}/comment-1`],
  });
});

test("a plan stopped by a shutdown is told apart from one superseded by a newer head", () => {
  const shutdown = new AbortController();
  shutdown.abort(shutdownReason());
  assert.equal(stoppedForShutdown(shutdown.signal), true);

  const superseded = new AbortController();
  superseded.abort();
  assert.equal(stoppedForShutdown(superseded.signal), false, "a newer head aborts without a reason");
  assert.equal(stoppedForShutdown(new AbortController().signal), false, "not aborted at all");
});

test("a second signal says how long the grace still runs and how to stop at once", () => {
  assert.match(stillWaitingMessage(61_500, 1_000), /up to 61 s more; SIGKILL stops at once/);
  assert.match(stillWaitingMessage(1_000, 5_000), /up to 0 s more/, "never a negative time");
});
