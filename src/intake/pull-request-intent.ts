// pull_request payload → plan intent. Pure: the decision to plan (draft, fork, autoplan) needs
// the base branch's config, so it is taken by the plan job; intake only extracts the facts.
import type { PlanIntent, PullFacts } from "../domain/intent.ts";

/** Actions that put new code in front of reviewers. */
const PLANNED_ACTIONS = new Set(["opened", "reopened", "synchronize", "ready_for_review"]);

interface PullRequestPayload {
  action?: string;
  installation?: { id?: number };
  repository?: { name?: string; owner?: { login?: string } };
  pull_request?: {
    number?: number;
    title?: string;
    draft?: boolean;
    updated_at?: string;
    user?: { login?: string } | null;
    head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
    base?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
  };
}

export function planIntentFromPullRequest(payload: unknown, deliveryId: string): PlanIntent | null {
  const p = payload as PullRequestPayload;
  if (!p.action || !PLANNED_ACTIONS.has(p.action)) return null;
  const pull = pullFacts(p);
  return pull ? { kind: "plan", deliveryId, trigger: "autoplan", pull } : null;
}

/** The title as the payload says it; absent rather than empty, so views show nothing for it. */
export function titleOf(title: unknown): { title?: string } {
  return typeof title === "string" && title !== "" ? { title } : {};
}

function pullFacts(p: PullRequestPayload): PullFacts | null {
  const pr = p.pull_request;
  const installationId = p.installation?.id;
  const owner = p.repository?.owner?.login;
  const name = p.repository?.name;
  const headSha = pr?.head?.sha;
  const baseSha = pr?.base?.sha;
  if (!pr || typeof pr.number !== "number" || !installationId || !owner || !name || !headSha || !baseSha) return null;
  const headRepo = pr.head?.repo?.full_name;
  const baseRepo = pr.base?.repo?.full_name ?? `${owner}/${name}`;
  const updatedAt = Date.parse(pr.updated_at ?? "");
  return {
    repo: { owner, name, installationId },
    number: pr.number,
    headSha,
    headRef: pr.head?.ref ?? "",
    baseRef: pr.base?.ref ?? "",
    baseSha,
    author: pr.user?.login ?? "",
    ...titleOf(pr.title),
    draft: pr.draft === true,
    // A deleted fork has no head repo; treat it as foreign code.
    fromFork: headRepo === undefined || headRepo.toLowerCase() !== baseRepo.toLowerCase(),
    updatedAt: Number.isFinite(updatedAt) ? updatedAt : 0,
  };
}
