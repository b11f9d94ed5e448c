// Which environments of a deploy may apply at once, and which wait for a human (SPEC §5, §7).
// Pure. An environment waits when it is `manual`, or when the merge reached the default branch
// without the approvals it requires (an admin bypassed branch protection, a direct push):
// then it waits as if manual, and says why.
import { whereToRelease } from "../domain/deploy-state.ts";
import type { EnvironmentGate } from "./approvers.ts";

export type StartState = { state: "queued" } | { state: "waiting"; reason: string };

export function startStates(
  environments: string[],
  gate: (name: string) => EnvironmentGate,
  /** Approvals still missing per environment at merge; null for a direct push (no pull request). */
  missingAtMerge: Map<string, number> | null,
): Record<string, StartState> {
  const out: Record<string, StartState> = {};
  for (const name of environments) {
    const g = gate(name);
    const release = `an approver comments \`/apply ${name}\` ${whereToRelease(missingAtMerge === null)}`;
    if (g.approvals > 0 && (missingAtMerge === null || (missingAtMerge.get(name) ?? g.approvals) > 0)) {
      const how = missingAtMerge === null ? "pushed straight to the default branch" : "merged without the approvals it requires";
      out[name] = { state: "waiting", reason: `${name} was ${how}: waiting until ${release}` };
    } else if (g.manual) {
      out[name] = { state: "waiting", reason: `${name} is manual: waiting until ${release}` };
    } else {
      out[name] = { state: "queued" };
    }
  }
  return out;
}
