// The metrics Slipway records (SPEC §9), each with its fixed label names. Recorded in any process
// and summed in Redis (see recorder.ts); read by the registry at scrape time. Pure data.

export interface CounterDef {
  name: string;
  help: string;
  labels: readonly string[];
}

export interface HistogramDef extends CounterDef {
  /** Upper bounds in seconds, ascending; +Inf is implied. */
  buckets: readonly number[];
}

export const COUNTERS = {
  deliveries: {
    name: "slipway_webhook_deliveries_total",
    help: "Webhook deliveries answered, by event and outcome (accepted 2xx, rejected 4xx, failed 5xx).",
    labels: ["event", "outcome"],
  },
  jobs: {
    name: "slipway_jobs_total",
    help: "Jobs finished, by kind and outcome (succeeded, failed, cancelled, interrupted).",
    labels: ["kind", "outcome"],
  },
  githubRequests: {
    name: "slipway_github_requests_total",
    help: "Requests to the GitHub API, by method, path template and status (error: no answer).",
    labels: ["method", "route", "status"],
  },
  deploys: {
    name: "slipway_deploys_total",
    help: "Environments of merge deploys that reached an end state, by environment and outcome.",
    labels: ["environment", "outcome"],
  },
  lockRenewalFailures: {
    name: "slipway_job_lock_renewal_failures_total",
    help: "BullMQ job locks a worker could not renew: another worker may run those jobs again.",
    labels: [],
  },
  deadLetters: {
    name: "slipway_intake_dead_letters_total",
    help: "Intake entries set aside after failing 5 times to become jobs while Redis answered (GET /api/v1/dead-letters lists them).",
    labels: [],
  },
  redeliveries: {
    name: "slipway_webhook_redeliveries_total",
    help: "Missed webhook deliveries Slipway asked GitHub to send again, by outcome (requested, failed).",
    labels: ["outcome"],
  },
} as const satisfies Record<string, CounterDef>;

export const HISTOGRAMS = {
  ack: {
    name: "slipway_webhook_ack_seconds",
    help: "Time from a webhook request's arrival to Slipway's answer.",
    labels: [],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  jobDuration: {
    name: "slipway_job_duration_seconds",
    help: "How long a job ran, by kind.",
    labels: ["kind"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  },
} as const satisfies Record<string, HistogramDef>;

/** Gauges set by the process that last saw the value; the newest write wins. */
export const SHARED_GAUGES = {
  rateLimit: {
    name: "slipway_github_rate_limit_remaining",
    help: "GitHub API requests left in the current rate-limit window, per installation, as of the last response.",
    labels: ["installation"],
  },
} as const satisfies Record<string, CounterDef>;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;
export type SharedGaugeName = keyof typeof SHARED_GAUGES;
