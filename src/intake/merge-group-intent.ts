// merge_group payload → intent. Pure: which pull requests the group holds and what to check is
// for the job to find out (it has the git history); intake only extracts the facts.
import type { MergeGroupIntent } from "../domain/intent.ts";

interface MergeGroupPayload {
  action?: string;
  reason?: string;
  installation?: { id?: number };
  repository?: { name?: string; owner?: { login?: string } };
  merge_group?: { head_sha?: string; head_ref?: string; base_sha?: string; base_ref?: string };
}

const HEADS = "refs/heads/";
const strip = (ref: string) => (ref.startsWith(HEADS) ? ref.slice(HEADS.length) : ref);

/** `gh-readonly-queue/<base>/pr-<N>-<sha>` → N, the pull request the group's head ref names. */
export function queuedPullNumber(headRef: string): number | undefined {
  const m = /(?:^|\/)pr-(\d+)-[0-9a-f]{7,64}$/.exec(strip(headRef));
  return m ? Number(m[1]) : undefined;
}

export function mergeGroupIntent(payload: unknown, deliveryId: string): MergeGroupIntent | null {
  const p = payload as MergeGroupPayload;
  if (p.action !== "checks_requested" && p.action !== "destroyed") return null;
  const g = p.merge_group;
  const installationId = p.installation?.id;
  const owner = p.repository?.owner?.login;
  const name = p.repository?.name;
  if (!g?.head_sha || !g.head_ref || !g.base_sha || !g.base_ref || !installationId || !owner || !name) return null;
  const pullNumber = queuedPullNumber(g.head_ref);
  return {
    kind: "merge_group",
    deliveryId,
    action: p.action,
    repo: { owner, name, installationId },
    headSha: g.head_sha,
    headRef: strip(g.head_ref),
    baseSha: g.base_sha,
    baseRef: strip(g.base_ref),
    ...(pullNumber !== undefined ? { pullNumber } : {}),
    ...(p.action === "destroyed" && p.reason ? { reason: p.reason } : {}),
  };
}
