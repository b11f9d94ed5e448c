// Whether a deploy may apply the plan it made at the merge commit (SPEC §7 "Nothing is applied
// that was not planned, reviewed and approved"). Pure.
import type { ApprovedPlan } from "../domain/deploy-state.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";

/** Built-in workflows whose digest is exact: it comes from the tool's JSON plan (show -json). */
const EXACT_BUILT_INS = new Set(["terraform", "opentofu"]);

/**
 * A project's plan digest is exact when its workflow says so: the built-in terraform and
 * opentofu, or a custom workflow with `exact_plan: true`. A custom workflow that replaces a
 * built-in by name must opt in itself. Only projects of an environment have approvals to match.
 */
export function planMustMatchApproval(project: ProjectConfig, config: RepoConfig): boolean {
  if (!project.environment) return false;
  const custom = Object.hasOwn(config.workflows, project.workflow) ? config.workflows[project.workflow] : undefined;
  return custom ? custom.exact_plan === true : EXACT_BUILT_INS.has(project.workflow);
}

/**
 * The digest the plan made now must have to be applied: the one shown when it was last held
 * (a release applies what was shown), else the approved one. Undefined: nothing to compare.
 */
export function expectedDigest(approved: ApprovedPlan | undefined, held: { digest: string } | undefined): string | undefined {
  return held?.digest ?? approved?.digest;
}
