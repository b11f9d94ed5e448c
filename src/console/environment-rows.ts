// The environments page's table, pure: per project × environment, the commit applied last, its
// pull request, who approved it and when it was applied — or what it waits for and why.
import type { AuditEvent } from "../audit/event.ts";
import type { EnvironmentView } from "../server/read-model.ts";

export interface EnvironmentRow {
  project: string;
  environment: string;
  sha: string;
  pull?: number;
  pullTitle?: string;
  status: string;
  approvers: string[];
  /** ISO time of the newest apply event of this project at this commit. */
  appliedAt?: string;
  /** Why nothing is applied yet: a manual environment, an interrupted apply, a changed plan. */
  waiting?: string;
}

const APPLIED = new Set(["changes", "no_changes"]);
const WAITING_STATES = new Set(["waiting", "queued", "interrupted", "failure", "held"]);

/** `events` are the repository's recent audit events, newest first. */
export function environmentRows(envs: EnvironmentView[], events: AuditEvent[]): EnvironmentRow[] {
  const approvals = events.filter((e) => e.kind === "approval");
  const applies = events.filter((e) => e.kind === "apply");
  const rows: EnvironmentRow[] = [];
  for (const env of envs) {
    const approvers = [
      ...new Set(
        approvals.filter((a) => env.pull !== undefined && a.pull === env.pull && (!a.environment || a.environment === env.environment)).map((a) => a.actor),
      ),
    ].sort();
    for (const p of env.projects) {
      const applied = applies.find((a) => a.project === p.name && a.sha === env.sha);
      const waitingReason = p.reason ?? env.reason;
      rows.push({
        project: p.name,
        environment: env.environment,
        sha: env.sha,
        ...(env.pull !== undefined ? { pull: env.pull } : {}),
        ...(env.pull_title ? { pullTitle: env.pull_title } : {}),
        // An apply's result reads like a plan's ("changes"); once the environment succeeded it is applied.
        status: env.state === "success" && APPLIED.has(p.status) ? "applied" : p.status,
        approvers,
        ...(applied ? { appliedAt: applied.at } : {}),
        ...(WAITING_STATES.has(env.state) || p.status === "pending" ? { waiting: waitingReason ?? env.state } : {}),
      });
    }
  }
  return rows.sort((a, b) => a.project.localeCompare(b.project) || a.environment.localeCompare(b.environment));
}
