// What the rest of Slipway calls to record a metric. Recording is a Map update in memory — the
// webhook's answer never waits on Redis for it — and the totals go to Redis once a second (and
// before each scrape this process serves, and at close), one pipeline for all of them.
import type { Logger } from "pino";
import { emptyDeltas, isEmpty, type MetricDeltas, type MetricStore } from "../state/metric-store.ts";
import { COUNTERS, HISTOGRAMS, SHARED_GAUGES, type CounterName, type HistogramName, type SharedGaugeName } from "./instruments.ts";
import { BoundedValues, deliveryOutcome, environmentLabel, eventLabel, methodLabel, routeLabel, statusLabel } from "./labels.ts";

/** A series' field in the store: the metric's key and its label values, in the definition's order. */
export function seriesField(metric: string, values: readonly string[]): string {
  return JSON.stringify([metric, ...values]);
}

export type JobOutcome = "succeeded" | "failed" | "cancelled" | "interrupted";

export interface GitHubRequestSeen {
  method: string | undefined;
  /** The request's `url` option: a path template, or a concrete URL. */
  url: string | undefined;
  status: number | undefined;
  headers?: Record<string, string | number | undefined>;
}

/** What the rest of Slipway records through: a MetricsRecorder, or noMetrics (SLIPWAY_METRICS=off). */
export type Metrics = Pick<
  MetricsRecorder,
  "delivery" | "job" | "githubRequest" | "deploy" | "lockRenewalFailures" | "deadLetter" | "redelivery" | "drift" | "flush" | "close"
>;

/** Records nothing and never touches Redis: no timer, no flush (SLIPWAY_METRICS=off). */
export const noMetrics: Metrics = {
  delivery: () => {},
  job: () => {},
  githubRequest: () => {},
  deploy: () => {},
  lockRenewalFailures: () => {},
  deadLetter: () => {},
  redelivery: () => {},
  drift: () => {},
  flush: async () => {},
  close: async () => {},
};

export class MetricsRecorder {
  private pending: MetricDeltas = emptyDeltas();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private failing = false;
  // Per-process caps: far above what Slipway's own calls and sane configs produce.
  private readonly routes = new BoundedValues(200, "{other}");
  private readonly environments = new BoundedValues(100);
  private readonly installations = new BoundedValues(1000);

  constructor(
    private readonly store: MetricStore,
    private readonly log: Logger,
    flushMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  delivery(eventHeader: string | string[] | undefined, status: number, seconds: number): void {
    this.count("deliveries", [eventLabel(eventHeader), deliveryOutcome(status)]);
    this.observe("ack", [], seconds);
  }

  job(kind: string, outcome: JobOutcome, seconds?: number): void {
    this.count("jobs", [kind, outcome]);
    if (seconds !== undefined) this.observe("jobDuration", [kind], seconds);
  }

  githubRequest(installation: number, seen: GitHubRequestSeen): void {
    const route = routeLabel(seen.url);
    this.count("githubRequests", [methodLabel(seen.method), this.routes.admit(route), statusLabel(seen.status)]);
    // The installation's core limit only: /app/ calls are the app's own (JWT), and search or
    // GraphQL have limits of their own.
    const resource = seen.headers?.["x-ratelimit-resource"];
    const remaining = Number(seen.headers?.["x-ratelimit-remaining"]);
    if (route.startsWith("/app/") || (resource !== undefined && resource !== "core")) return;
    if (seen.headers?.["x-ratelimit-remaining"] !== undefined && Number.isFinite(remaining)) {
      this.gauge("rateLimit", [this.installations.admit(String(installation))], remaining);
    }
  }

  deploy(environment: string, outcome: string): void {
    this.count("deploys", [this.environments.admit(environmentLabel(environment)), outcome]);
  }

  lockRenewalFailures(n: number): void {
    this.count("lockRenewalFailures", [], n);
  }

  deadLetter(): void {
    this.count("deadLetters", []);
  }

  /** A missed webhook Slipway asked GitHub to redeliver: `requested`, or `failed` (asked again later). */
  redelivery(outcome: "requested" | "failed"): void {
    this.count("redeliveries", [outcome]);
  }

  /** A drift check's verdict on one project: drifted, or in sync again. */
  drift(repo: string, project: string, drifted: boolean): void {
    this.pending.drift.set(JSON.stringify([repo, project]), drifted);
  }

  /** Sends what was recorded; safe to call at any time, one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async flushOnce(): Promise<void> {
    if (isEmpty(this.pending)) return;
    const batch = this.pending;
    this.pending = emptyDeltas();
    try {
      await this.store.add(batch);
      if (this.failing) this.log.info("metrics reach Redis again");
      this.failing = false;
    } catch (err) {
      // Kept for the next flush: a Redis outage delays the totals, it does not lose them.
      this.mergeBack(batch);
      if (!this.failing) this.log.warn({ err: (err as Error).message }, "could not write metrics to Redis; kept for the next try");
      this.failing = true;
    }
  }

  private mergeBack(batch: MetricDeltas): void {
    const next = this.pending;
    this.pending = batch;
    for (const [k, n] of next.counters) add(batch.counters, k, n);
    for (const [k, n] of next.histogramCounts) add(batch.histogramCounts, k, n);
    for (const [k, n] of next.histogramSums) add(batch.histogramSums, k, n);
    for (const [k, v] of next.gauges) batch.gauges.set(k, v);
    for (const [k, v] of next.drift) batch.drift.set(k, v);
  }

  private count(metric: CounterName, values: readonly string[], n = 1): void {
    check(COUNTERS[metric].labels, values);
    add(this.pending.counters, seriesField(metric, values), n);
  }

  private observe(metric: HistogramName, values: readonly string[], seconds: number): void {
    const def = HISTOGRAMS[metric];
    check(def.labels, values);
    let bucket = def.buckets.findIndex((le) => seconds <= le);
    if (bucket < 0) bucket = def.buckets.length; // +Inf
    add(this.pending.histogramCounts, seriesField(metric, [...values, `b${bucket}`]), 1);
    add(this.pending.histogramCounts, seriesField(metric, [...values, "count"]), 1);
    add(this.pending.histogramSums, seriesField(metric, [...values, "sum"]), seconds);
  }

  private gauge(metric: SharedGaugeName, values: readonly string[], value: number): void {
    check(SHARED_GAUGES[metric].labels, values);
    this.pending.gauges.set(seriesField(metric, values), value);
  }
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function check(names: readonly string[], values: readonly string[]): void {
  if (names.length !== values.length) throw new Error(`metric labels ${names.join(",")} given ${values.length} value(s)`);
}
