// What one benchmark hands back to the runner.
import type { Table } from "./stats.ts";

/** The keys of bench/results/latest.json that the issue fixes. */
export type HeadlineKey =
  | "api_calls"
  | "ack_p99_ratio"
  | "ack_errors"
  | "plan_overhead_ratio"
  | "audit_overhead_ratio"
  | "burst_plans"
  | "scale_makespan_ratio"
  | "big_output_rss_mb"
  | "metrics_scrape_ms"
  | "recovery_s"
  | "console_p99_ratio"
  | "log_latency_ms"
  | "cpu_per_plan_ratio";

export interface Goal {
  what: string;
  target: string;
  value: string;
  met: boolean;
}

export interface BenchResult {
  headline: Partial<Record<HeadlineKey, number>>;
  goals: Goal[];
  table: Table;
  detail: Record<string, unknown>;
}

export interface Bench {
  name: string;
  /** One line on what it measures, for `npm run bench -- --list`. */
  summary: string;
  run(): Promise<BenchResult>;
}
