import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { MetricsRecorder, seriesField } from "../../../src/metrics/recorder.ts";
import type { MetricDeltas, MetricStore } from "../../../src/state/metric-store.ts";

const log = pino({ level: "silent" });

/** A store that keeps what it was sent and fails the first `failures` times. */
function fakeStore(failures = 0) {
  const sent: MetricDeltas[] = [];
  let left = failures;
  const store = {
    async add(d: MetricDeltas) {
      if (left-- > 0) throw new Error("Redis is down");
      sent.push(d);
    },
  } as unknown as MetricStore;
  return { store, sent };
}

test("a duration lands in the first bucket at or above it, with the count and the sum", async () => {
  const { store, sent } = fakeStore();
  const r = new MetricsRecorder(store, log, 60_000);
  r.job("plan", "succeeded", 0.07);
  r.job("plan", "succeeded", 5000);
  await r.close();
  const d = sent[0]!;
  assert.equal(d.counters.get(seriesField("jobs", ["plan", "succeeded"])), 2);
  assert.equal(d.histogramCounts.get(seriesField("jobDuration", ["plan", "b1"])), 1, "0.05 < 0.07 <= 0.1");
  assert.equal(d.histogramCounts.get(seriesField("jobDuration", ["plan", "b15"])), 1, "above the last bound: +Inf");
  assert.equal(d.histogramCounts.get(seriesField("jobDuration", ["plan", "count"])), 2);
  assert.equal(d.histogramSums.get(seriesField("jobDuration", ["plan", "sum"])), 5000.07);
});

test("a failed flush keeps its totals for the next one", async () => {
  const { store, sent } = fakeStore(1);
  const r = new MetricsRecorder(store, log, 60_000);
  r.delivery("push", 202, 0.001);
  await r.flush();
  assert.equal(sent.length, 0);
  r.delivery("push", 202, 0.001);
  r.drift("acme/infra", "net", true);
  await r.close();
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.counters.get(seriesField("deliveries", ["push", "accepted"])), 2);
  assert.equal(sent[0]!.drift.get(JSON.stringify(["acme/infra", "net"])), true);
});

test("routes nobody foresaw are capped: at most 200 distinct, then {other}", async () => {
  const { store, sent } = fakeStore();
  const r = new MetricsRecorder(store, log, 60_000);
  for (let i = 0; i < 300; i++) r.githubRequest(1, { method: "GET", url: `/repos/{owner}/{repo}/thing{x${i}}`, status: 200 });
  await r.close();
  const routes = [...sent[0]!.counters.keys()].map((k) => (JSON.parse(k) as string[])[2]);
  assert.equal(routes.length, 201);
  assert.ok(routes.includes("{other}"));
});
