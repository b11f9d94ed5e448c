// The runs the API and the console list: queued, running and recent jobs of BullMQ's queues,
// as plain views (kind, repository, pull request, trigger, times, outcome).
import type { Queue } from "bullmq";

export type RunState = "queued" | "running" | "completed" | "failed";

export interface RunView {
  id: string;
  kind: string;
  state: RunState;
  repo?: string;
  pull?: number;
  sha?: string;
  trigger?: string;
  requested_by?: string;
  queued_at: string;
  started_at?: string;
  finished_at?: string;
  outcome?: unknown;
  /** The run printed a log (GET /api/v1/runs/:id/log, the console's run page); set by the API. */
  log?: boolean;
}

const BULLMQ_STATES: Record<RunState, ("waiting" | "delayed" | "prioritized" | "active" | "completed" | "failed")[]> = {
  queued: ["waiting", "delayed", "prioritized"],
  running: ["active"],
  completed: ["completed"],
  failed: ["failed"],
};

/** Jobs looked at per queue and state: the view is of what is going on and what just happened. */
const RUNS_PER_STATE = 200;

/** Newest first, optionally of one repository and in one state. */
export async function listRuns(queues: Queue[], filter: { repo?: string; state?: RunState }, redact: (text: string) => string = (t) => t): Promise<RunView[]> {
  const states = filter.state ? [filter.state] : (Object.keys(BULLMQ_STATES) as RunState[]);
  const out: RunView[] = [];
  for (const queue of queues) {
    for (const state of states) {
      const jobs = await queue.getJobs(BULLMQ_STATES[state], 0, RUNS_PER_STATE - 1);
      for (const job of jobs) {
        if (!job) continue;
        const view = runView(job, state, redact);
        if (filter.repo === undefined || view.repo?.toLowerCase() === filter.repo.toLowerCase()) out.push(view);
      }
    }
  }
  return out.sort((a, b) => (b.queued_at < a.queued_at ? -1 : b.queued_at > a.queued_at ? 1 : 0));
}

interface JobLike {
  id?: string;
  name: string;
  data: unknown;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  failedReason?: string;
  returnvalue?: unknown;
}

/** The repository (OWNER/NAME), pull request and commit a job's data is about, where it says. */
export function runSubject(jobData: unknown): { repo?: string; pull?: number; sha?: string } {
  const data = (jobData ?? {}) as Record<string, unknown>;
  const pull = data.pull as { repo?: { owner: string; name: string }; number?: number; headSha?: string } | undefined;
  const repoRef = (data.repo as { owner: string; name: string } | undefined) ?? pull?.repo;
  const number = pull?.number ?? (data.pullNumber as number | undefined);
  const sha = pull?.headSha ?? (data.sha as string | undefined);
  return { ...(repoRef ? { repo: `${repoRef.owner}/${repoRef.name}` } : {}), ...(number !== undefined ? { pull: number } : {}), ...(sha ? { sha } : {}) };
}

function runView(job: JobLike, state: RunState, redact: (text: string) => string): RunView {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const trigger =
    (data.trigger as string | undefined) ?? (data.release ? "release" : data.remediate ? "repair" : data.deliveryId === "scheduled" ? "schedule" : undefined);
  const by = (data.requestedBy as string | undefined) ?? (data.user as string | undefined) ?? (data.release as { by?: string } | undefined)?.by;
  const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : undefined);
  return {
    id: job.id ?? "",
    kind: job.name,
    state,
    ...runSubject(data),
    ...(trigger ? { trigger } : {}),
    ...(by ? { requested_by: by } : {}),
    queued_at: iso(job.timestamp)!,
    ...(job.processedOn ? { started_at: iso(job.processedOn) } : {}),
    ...(job.finishedOn ? { finished_at: iso(job.finishedOn) } : {}),
    ...(state === "failed" ? { outcome: { error: safeError(job.failedReason ?? "", redact) } } : state === "completed" ? { outcome: job.returnvalue } : {}),
  };
}

/**
 * A failed job's message is an internal error: it may quote a git URL with its token or a value
 * from a step's environment. Redacted like outputs, credentials in URLs cut, bounded.
 */
function safeError(message: string, redact: (text: string) => string): string {
  const cleaned = message
    .split("\n")
    .map((line) => redact(line).replace(/\/\/[^/@\s]+@/g, "//***@"))
    .join("\n");
  return cleaned.length > 500 ? `${cleaned.slice(0, 499)}…` : cleaned;
}
