// Whether a pull request is planned without being asked. Pure.
// `allow_forks` is a gate, so it is read from the base branch's config only: a fork cannot
// open the door for itself by editing `.slipway.yml` in its own head.
export type AutoplanDecision = { plan: true } | { plan: false; reason: "draft" | "fork" | "autoplan_off" };

export interface AutoplanFacts {
  trigger: "autoplan" | "command";
  draft: boolean;
  fromFork: boolean;
  /** `allow_forks` of the base branch config; false when the base has no config. */
  baseAllowsForks: boolean;
  /** `autoplan` of the config being planned (the head's). */
  autoplan: boolean;
}

export function decideAutoplan(f: AutoplanFacts): AutoplanDecision {
  // Fork code runs on our workers with our credentials in reach: refused even on request.
  if (f.fromFork && !f.baseAllowsForks) return { plan: false, reason: "fork" };
  if (f.trigger === "command") return { plan: true };
  if (f.draft) return { plan: false, reason: "draft" };
  if (!f.autoplan) return { plan: false, reason: "autoplan_off" };
  return { plan: true };
}
