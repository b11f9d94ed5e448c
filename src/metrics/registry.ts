// The one prom-client registry of a process that serves /metrics. Three kinds of metric:
// - Slipway's counters, histograms and shared gauges, summed over every process in Redis
//   (state/metric-store.ts) and read once per scrape;
// - gauges read from the system at scrape time: BullMQ's job counts, locks held;
// - Node's process metrics (`collectDefaultMetrics`), of the process that answers.
import { collectDefaultMetrics, Gauge, Registry, type Metric } from "prom-client";
import type { MetricSnapshot, MetricStore } from "../state/metric-store.ts";
import { COUNTERS, HISTOGRAMS, SHARED_GAUGES, type CounterDef, type HistogramDef } from "./instruments.ts";
import type { MetricsRecorder } from "./recorder.ts";

export interface QueueCounts {
  queue: string;
  /** BullMQ's counts by state: waiting, active, delayed, prioritized, failed, completed, … */
  counts: Record<string, number>;
  /** Epoch ms of the oldest job waiting to start, when one waits. */
  oldestWaitingAt?: number;
}

export interface ScrapeSources {
  store: MetricStore;
  /** This process's recorder: flushed before the read, so a scrape sees what it just recorded. */
  recorder?: Pick<MetricsRecorder, "flush">;
  queues(): Promise<QueueCounts[]>;
  locksHeld(): Promise<number>;
  now?: () => number;
}

export interface MetricsEndpoint {
  contentType: string;
  scrape(): Promise<string>;
}

type Labels = Record<string, string>;
type Value = { value: number; labels: Labels; metricName?: string };

export function createMetricsRegistry(sources: ScrapeSources): MetricsEndpoint {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let snapshot: Promise<Series> = Promise.resolve(new Series(null));
  const fromSnapshot = (name: string, help: string, type: "counter" | "gauge" | "histogram", values: (s: Series) => Value[]) =>
    registry.registerMetric({
      name,
      help,
      type,
      aggregator: "sum",
      get: async () => ({ name, help, type, aggregator: "sum", values: values(await snapshot) }),
      reset: () => {},
    } as unknown as Metric);

  for (const [key, def] of Object.entries(COUNTERS)) fromSnapshot(def.name, def.help, "counter", (s) => s.flat("counters", key, def));
  for (const [key, def] of Object.entries(SHARED_GAUGES)) fromSnapshot(def.name, def.help, "gauge", (s) => s.flat("gauges", key, def));
  for (const [key, def] of Object.entries(HISTOGRAMS)) fromSnapshot(def.name, def.help, "histogram", (s) => s.histogram(key, def));
  fromSnapshot("slipway_drift_projects", "Projects whose last drift check found the world differs from the default branch.", "gauge", (s) => [
    { value: s.driftedProjects, labels: {} },
  ]);

  // One BullMQ read feeds both queue gauges.
  let queueRead: Promise<QueueCounts[]> = Promise.resolve([]);
  const now = sources.now ?? Date.now;
  new Gauge({
    name: "slipway_queue_jobs",
    help: "Jobs in the queues now, by queue and BullMQ state.",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await queueRead) for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, n);
    },
  });
  new Gauge({
    name: "slipway_queue_oldest_waiting_seconds",
    help: "Age of the oldest job waiting to start, by queue (0 when none waits).",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const at = now();
      for (const q of await queueRead) this.set({ queue: q.queue }, q.oldestWaitingAt === undefined ? 0 : Math.max(0, (at - q.oldestWaitingAt) / 1000));
    },
  });
  new Gauge({
    name: "slipway_locks_held",
    help: "Project locks held by pull requests now.",
    registers: [registry],
    async collect() {
      this.set(await sources.locksHeld());
    },
  });

  return {
    contentType: registry.contentType,
    async scrape() {
      snapshot = (sources.recorder ? sources.recorder.flush() : Promise.resolve()).then(() => sources.store.read()).then((s) => new Series(s));
      queueRead = sources.queues();
      // Both are awaited by the metrics above; a rejection surfaces from metrics() below.
      snapshot.catch(() => {});
      queueRead.catch(() => {});
      return registry.metrics();
    },
  };
}

/** The snapshot's fields parsed back into metric key, label values and value. */
class Series {
  private readonly parsed: Record<"counters" | "histograms" | "gauges", { metric: string; values: string[]; value: number }[]>;
  readonly driftedProjects: number;

  constructor(s: MetricSnapshot | null) {
    const parse = (h: Record<string, string> | undefined) =>
      Object.entries(h ?? {}).map(([field, v]) => {
        const [metric, ...values] = JSON.parse(field) as string[];
        return { metric: metric!, values, value: Number(v) };
      });
    this.parsed = { counters: parse(s?.counters), histograms: parse(s?.histograms), gauges: parse(s?.gauges) };
    this.driftedProjects = s?.driftedProjects ?? 0;
  }

  flat(kind: "counters" | "gauges", key: string, def: CounterDef): Value[] {
    const out = this.parsed[kind].filter((p) => p.metric === key).map((p) => ({ value: p.value, labels: zip(def.labels, p.values) }));
    // A counter without labels is always there, 0 until it happens: alerts see it from the start.
    if (out.length === 0 && def.labels.length === 0 && kind === "counters") out.push({ value: 0, labels: {} });
    return out;
  }

  histogram(key: string, def: HistogramDef): Value[] {
    const groups = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
    for (const p of this.parsed.histograms) {
      if (p.metric !== key) continue;
      const labelValues = p.values.slice(0, -1);
      const part = p.values[p.values.length - 1]!;
      const id = JSON.stringify(labelValues);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { labels: zip(def.labels, labelValues), buckets: new Array<number>(def.buckets.length + 1).fill(0), sum: 0, count: 0 }));
      if (part === "sum") g.sum = p.value;
      else if (part === "count") g.count = p.value;
      else if (part.startsWith("b")) g.buckets[Number(part.slice(1))] = p.value;
    }
    if (groups.size === 0 && def.labels.length === 0)
      groups.set("[]", { labels: {}, buckets: new Array<number>(def.buckets.length + 1).fill(0), sum: 0, count: 0 });
    const out: Value[] = [];
    for (const g of groups.values()) {
      let cumulative = 0;
      def.buckets.forEach((le, i) => {
        cumulative += g.buckets[i] ?? 0;
        out.push({ metricName: `${def.name}_bucket`, labels: { ...g.labels, le: String(le) }, value: cumulative });
      });
      cumulative += g.buckets[def.buckets.length] ?? 0;
      out.push({ metricName: `${def.name}_bucket`, labels: { ...g.labels, le: "+Inf" }, value: cumulative });
      out.push({ metricName: `${def.name}_sum`, labels: g.labels, value: g.sum });
      out.push({ metricName: `${def.name}_count`, labels: g.labels, value: g.count });
    }
    return out;
  }
}

function zip(names: readonly string[], values: readonly string[]): Labels {
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? ""]));
}
