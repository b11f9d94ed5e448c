// Metric totals of every Slipway process, summed in Redis, so that one scrape of any webhook
// server shows the whole installation (workers have no HTTP server; see README "Operations").
// Four keys per prefix, each a small hash whose fields are the series (a metric and its label
// values): their number is bounded by the labels, never by traffic.
//   <prefix>:{metrics}:counters    field → count                       HINCRBY
//   <prefix>:{metrics}:histograms  field+bucket/sum/count → value      HINCRBY / HINCRBYFLOAT
//   <prefix>:{metrics}:gauges      field → last value                  HSET
//   <prefix>:{metrics}:drifted     set of [repo, project] drifted now  SADD / SREM
import type { RedisConnection } from "../queue/redis.ts";

export interface MetricDeltas {
  counters: Map<string, number>;
  /** Bucket and count fields: whole numbers. */
  histogramCounts: Map<string, number>;
  /** Sum fields: seconds. */
  histogramSums: Map<string, number>;
  gauges: Map<string, number>;
  /** [repo, project] (JSON) → drifted now or not. */
  drift: Map<string, boolean>;
}

export interface MetricSnapshot {
  counters: Record<string, string>;
  histograms: Record<string, string>;
  gauges: Record<string, string>;
  driftedProjects: number;
}

export function emptyDeltas(): MetricDeltas {
  return { counters: new Map(), histogramCounts: new Map(), histogramSums: new Map(), gauges: new Map(), drift: new Map() };
}

export function isEmpty(d: MetricDeltas): boolean {
  return d.counters.size + d.histogramCounts.size + d.histogramSums.size + d.gauges.size + d.drift.size === 0;
}

export class MetricStore {
  private readonly keys: { counters: string; histograms: string; gauges: string; drifted: string };

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
  ) {
    // One hash tag: the flush and the read are pipelines over all four (a Cluster sends a
    // pipeline to one node).
    const base = `${prefix}:{metrics}`;
    this.keys = { counters: `${base}:counters`, histograms: `${base}:histograms`, gauges: `${base}:gauges`, drifted: `${base}:drifted` };
  }

  /** One round trip for everything a process recorded since its last flush. */
  async add(d: MetricDeltas): Promise<void> {
    const p = this.redis.pipeline();
    for (const [field, n] of d.counters) p.hincrby(this.keys.counters, field, n);
    for (const [field, n] of d.histogramCounts) p.hincrby(this.keys.histograms, field, n);
    for (const [field, x] of d.histogramSums) p.hincrbyfloat(this.keys.histograms, field, x);
    for (const [field, x] of d.gauges) p.hset(this.keys.gauges, field, x);
    for (const [member, drifted] of d.drift) {
      if (drifted) p.sadd(this.keys.drifted, member);
      else p.srem(this.keys.drifted, member);
    }
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async read(): Promise<MetricSnapshot> {
    const results = await this.redis
      .pipeline()
      .hgetall(this.keys.counters)
      .hgetall(this.keys.histograms)
      .hgetall(this.keys.gauges)
      .scard(this.keys.drifted)
      .exec();
    if (!results) throw new Error("metrics read: no answer from Redis");
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    const [counters, histograms, gauges, drifted] = results.map(([, v]) => v);
    return {
      counters: counters as Record<string, string>,
      histograms: histograms as Record<string, string>,
      gauges: gauges as Record<string, string>,
      driftedProjects: drifted as number,
    };
  }
}
