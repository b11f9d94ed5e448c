// The gates that apply to a pull request (SPEC §7): read from the base branch's config, never
// from the head alone — a pull request cannot loosen its own gate. When the head changes
// `.slipway.yml`, each environment is gated by the stricter of the two. Pure.
import type { EnvironmentConfig, RepoConfig } from "../repo-config/schema.ts";
import { stricterEnvironment, type EnvironmentGate } from "./approvers.ts";

export interface Gates {
  environment(name: string): EnvironmentGate;
  survive: "commit" | "same_plan";
  mode: "after_merge" | "before_merge" | "in_merge_queue";
}

export function effectiveGates(base: RepoConfig | undefined, head: RepoConfig | undefined): Gates {
  const lookup = (config: RepoConfig | undefined, name: string): EnvironmentConfig | undefined =>
    config && Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  return {
    environment: (name) => stricterEnvironment(lookup(base, name), lookup(head, name)),
    // Loosening is a change of gate: it takes effect once merged. Without a base config
    // (the pull request that adds Slipway), the stricter choice holds.
    survive: base?.approvals_survive ?? "commit",
    // Applying before merge is the looser mode (nothing reviewed lands on main first):
    // only the base branch can turn it on.
    mode: base?.apply ?? "after_merge",
  };
}
