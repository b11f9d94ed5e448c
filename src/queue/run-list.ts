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
  /** The pull request's title, when the job's data carries it. */
  pull_title?: string;
  sha?: string;
  trigger?: string;
  requested_by?: string;
  /** Where the request came from, when the job says: `console` or `api` (a lock release), `comment`. */
  via?: string;
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

/** Queued or running: a run that may still print (its log may not exist yet). */
export function isUnderway(run: { state: RunState } | undefined): boolean {
  return run?.state === "queued" || run?.state === "running";
}

/** One run by its job id, in whichever queue holds it; undefined once the queues forgot it. */
export async function findRun(queues: Queue[], id: string, redact: (text: string) => string = (t) => t): Promise<RunView | undefined> {
  for (const queue of queues) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = runStateOf(await job.getState());
    if (state) return runView(job, state, redact);
  }
  return undefined;
}

function runStateOf(bullmqState: string): RunState | undefined {
  for (const [state, names] of Object.entries(BULLMQ_STATES) as [RunState, string[]][]) if (names.includes(bullmqState)) return state;
  // A job waiting for its children is queued too; "unknown" is a job removed meanwhile.
  return bullmqState === "waiting-children" ? "queued" : undefined;
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

/** The repository (OWNER/NAME), pull request (and its title) and commit a job's data is about, where it says. */
export function runSubject(jobData: unknown): { repo?: string; pull?: number; pullTitle?: string; sha?: string } {
  const data = (jobData ?? {}) as Record<string, unknown>;
  const pull = data.pull as { repo?: { owner: string; name: string }; number?: number; headSha?: string; title?: unknown } | undefined;
  const repoRef = (data.repo as { owner: string; name: string } | undefined) ?? pull?.repo;
  const number = pull?.number ?? (data.pullNumber as number | undefined);
  const title = pull?.title ?? data.pullTitle;
  const sha = pull?.headSha ?? (data.sha as string | undefined);
  return {
    ...(repoRef ? { repo: `${repoRef.owner}/${repoRef.name}` } : {}),
    ...(number !== undefined ? { pull: number } : {}),
    ...(number !== undefined && typeof title === "string" && title !== "" ? { pullTitle: title } : {}),
    ...(sha ? { sha } : {}),
  };
}

export function runView(job: JobLike, state: RunState, redact: (text: string) => string = (t) => t): RunView {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const trigger =
    (data.trigger as string | undefined) ?? (data.release ? "release" : data.remediate ? "repair" : data.deliveryId === "scheduled" ? "schedule" : undefined);
  const { by, via } = requester(data);
  const { pullTitle, ...subject } = runSubject(data);
  const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : undefined);
  return {
    id: job.id ?? "",
    kind: job.name,
    state,
    ...subject,
    ...(pullTitle !== undefined ? { pull_title: pullTitle } : {}),
    ...(trigger ? { trigger } : {}),
    ...(by ? { requested_by: by } : {}),
    ...(via ? { via } : {}),
    queued_at: iso(job.timestamp)!,
    ...(job.processedOn ? { started_at: iso(job.processedOn) } : {}),
    ...(job.finishedOn ? { finished_at: iso(job.finishedOn) } : {}),
    ...(state === "failed" ? { outcome: { error: safeError(job.failedReason ?? "", redact) } } : state === "completed" ? { outcome: job.returnvalue } : {}),
  };
}

/** Who asked for a run and how, from whichever field its intent names them in. */
function requester(data: Record<string, unknown>): { by?: string; via?: string } {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  // An unlock (a lock released from the console or the API) names the person in `by`, the front end in `via`.
  if (data.kind === "unlock") return { by: text(data.by), via: text(data.via) };
  // A comment's commands: the person who wrote it.
  if (data.kind === "comment") return { by: text(data.user), via: "comment" };
  const by =
    text(data.requestedBy) ??
    text(data.user) ??
    text((data.release as { by?: unknown } | undefined)?.by) ??
    text((data.remediate as { by?: unknown } | undefined)?.by);
  return { by };
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
