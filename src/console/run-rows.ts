// The runs page's groups, pure: queued, running, recent (finished), each with its duration and
// an outcome a person reads at a glance.
import type { RunView } from "../server/read-model.ts";

export interface RunRow extends RunView {
  duration: string;
  outcomeText: string;
  triggerText: string;
  canWrite: boolean;
}

const RECENT = 50;

export function runDuration(run: RunView, now = Date.now()): string {
  if (!run.started_at) return "–";
  const ms = (run.finished_at ? Date.parse(run.finished_at) : now) - Date.parse(run.started_at);
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** What started the run, who asked and from where: `command by alice`, `by alice via console`. */
export function triggerText(run: RunView): string {
  const parts = [run.trigger, run.requested_by && `by ${run.requested_by}`, run.via && `via ${run.via}`].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : "–";
}

function outcomeText(run: RunView): string {
  if (run.state === "queued") return "queued";
  if (run.state === "running") return "running";
  if (run.state === "failed") return "failed";
  const o = run.outcome as { status?: unknown } | undefined;
  return typeof o?.status === "string" ? o.status : "completed";
}

export function runGroups(runs: RunView[], canWrite: (run: RunView) => boolean, now = Date.now()) {
  const row = (r: RunView): RunRow => ({
    ...r,
    duration: runDuration(r, now),
    outcomeText: outcomeText(r),
    triggerText: triggerText(r),
    canWrite: canWrite(r),
  });
  return [
    { state: "queued", label: "Queued", runs: runs.filter((r) => r.state === "queued").map(row) },
    { state: "running", label: "Running", runs: runs.filter((r) => r.state === "running").map(row) },
    {
      state: "recent",
      label: "Recent",
      runs: runs
        .filter((r) => r.state === "completed" || r.state === "failed")
        .slice(0, RECENT)
        .map(row),
    },
  ];
}
