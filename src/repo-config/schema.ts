// The one schema of `.slipway.yml` version 1: it validates the file, fills every default,
// generates docs/slipway.schema.json for editors (scripts/gen-config-schema.ts), and its
// descriptions double as fix hints. Downstream code only sees the validated output types.
import { z } from "zod";
import { normaliseRepoDir } from "../projects/repo-paths.ts";
import { driftScheduleProblem, SCHEDULE_HINT } from "./drift-schedule.ts";

export const BUILT_IN_WORKFLOWS = ["terraform", "opentofu", "ansible", "kubernetes"] as const;

// Names appear in comment commands (`/plan network-staging`) and check-run titles: no spaces.
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}$/;
const NAME_HINT = "use letters, digits and `_ . / -` (no spaces), starting with a letter, digit or `_`";
const LOGIN_OR_TEAM = /^(?:[A-Za-z0-9][A-Za-z0-9-]{0,38}|@[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)$/;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function named(what: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      if (!NAME_PATTERN.test(value)) {
        ctx.addIssue({ code: "custom", message: `${what} "${value}" is not a valid name`, params: { hint: NAME_HINT } });
      }
    })
    .meta({ pattern: NAME_PATTERN.source }); // the check above, for the generated JSON Schema
}

const nonEmptyString = z.string().trim().min(1);
// A kubernetes label selector as kubectl's -l takes it: `key=value`, `key!=value`, `key in (a,b)`,
// comma-separated. Checked loosely (kubectl has the last word), but it may not start with `-`.
const LABEL_SELECTOR = /^[A-Za-z0-9_./!=(), -]+$/;

export const StepSchema = z
  .strictObject({
    run: z
      .union([nonEmptyString, z.array(z.string()).min(1)])
      .describe('The command: a string such as "sh plan.sh", or the exact argument list, e.g. ["sh", "-c", "make plan"].'),
    env: z
      .record(z.string().regex(ENV_VAR_NAME, { error: "environment variable names are letters, digits and `_`, not starting with a digit" }), z.string())
      .optional()
      .describe("Extra environment variables for this step. Values are strings: quote numbers and booleans."),
    timeout_seconds: z.number().int().positive().optional().describe("Stop the step after this many seconds; the step then fails as timed out."),
  })
  .describe("One step of a workflow: a child process run in the project directory.");

const steps = (phase: string) => z.array(StepSchema).optional().describe(`Steps of the ${phase} phase, run in order; the first failing step stops the phase.`);

export const WorkflowSchema = z
  .strictObject({
    validate: steps("validate"),
    plan: steps("plan").describe("Steps of the plan phase. Exit codes follow terraform's -detailed-exitcode: 0 no changes, 2 changes, other error."),
    apply: steps("apply"),
    exact_plan: z
      .boolean()
      .optional()
      .describe(
        "The plan's digest is exact (the same change always prints the same plan, and a different change a different one): after a merge, a project whose plan at the merge commit differs from the plan its approvals were given for waits for `/apply <environment>`. Built-in terraform and opentofu always work this way. Default false: approvals stay bound to the commit.",
      ),
  })
  .describe("A custom workflow. A key named like a built-in (terraform, opentofu, ansible, kubernetes) replaces it.");

export const ProjectSchema = z
  .strictObject({
    name: named("project name").optional().describe("Unique project name, used in commands and check runs. Default: `dir`."),
    dir: z
      .string()
      .transform((value, ctx) => {
        const result = normaliseRepoDir(value);
        if (result.ok) return result.dir;
        ctx.addIssue({ code: "custom", message: result.reason, params: { hint: result.hint } });
        return z.NEVER;
      })
      .describe('Working directory, relative to the repository root ("." for the root).'),
    workflow: z.string().default("terraform").describe("terraform (default), opentofu, ansible, kubernetes, or a key of `workflows`."),
    environment: named("environment").optional().describe("Environment this project deploys to; approvals, deployments and promotion are per environment."),
    when_modified: z
      .array(nonEmptyString)
      .default(["**/*"])
      .describe(
        'Globs, relative to `dir`, of files whose change affects this project ("../../modules/**" reaches up; a leading "/" means the repository root; a leading "!" excludes). Default ["**/*"]; [] means only planned when named in `/plan`.',
      ),
    depends_on: z.array(z.string()).default([]).describe("Names of projects that must apply successfully before this one."),
    kubernetes: z
      .strictObject({
        prune_selector: nonEmptyString
          .regex(LABEL_SELECTOR, { error: 'prune_selector is a label selector such as "app.kubernetes.io/part-of=shop"' })
          .refine((v) => !v.startsWith("-"), { error: "prune_selector may not start with `-`" })
          .optional()
          .describe(
            "Label selector for `kubectl apply --prune`: live objects with these labels that the manifests no longer list are deleted, and the plan shows them. Absent (default): nothing is pruned.",
          ),
      })
      .optional()
      .describe("Settings of the built-in `kubernetes` workflow for this project."),
  })
  .transform(({ name, ...rest }) => ({ name: name ?? rest.dir, ...rest }))
  .describe("One unit that is planned and applied on its own: a directory and the workflow run there.");

export const EnvironmentSchema = z
  .strictObject({
    approvals: z.number().int().min(0).default(0).describe("Distinct approvers required before applying. Default 0."),
    approvers: z
      .array(z.string().regex(LOGIN_OR_TEAM, { error: 'approvers are GitHub logins ("octocat") or teams ("@acme/sre")' }))
      .default([])
      .describe('Who may approve: GitHub logins or "@org/team". Default (empty): anyone with write access.'),
    allow_author: z.boolean().default(false).describe("May the pull request's author approve it. Default false."),
    manual: z.boolean().default(false).describe("After merge, wait for `/apply <environment>` before applying. Default false."),
  })
  .describe("Gates of one environment. An environment used by a project but not listed here gets every default.");

export const DriftSchema = z
  .strictObject({
    schedule: z
      .string()
      .superRefine((value, ctx) => {
        const problem = driftScheduleProblem(value);
        if (problem !== undefined) {
          ctx.addIssue({ code: "custom", message: `\`schedule\` is not a valid cron expression: ${problem}`, params: { hint: SCHEDULE_HINT } });
        }
      })
      .optional()
      .describe(
        'Cron schedule (UTC) for drift detection on the default branch, as BullMQ reads it: 5 fields, 6 with seconds first, or a macro such as @daily; e.g. "0 */6 * * *". Absent: off.',
      ),
    remediate: z.boolean().default(false).describe("Apply to restore the desired state when drift is found. Default false."),
  })
  .describe("Scheduled detection of drift between the default branch and the real world.");

export const RepoConfigSchema = z
  .strictObject({
    version: z.literal(1).describe("Config format version. Always 1."),
    apply: z
      .enum(["after_merge", "before_merge", "in_merge_queue"])
      .default("after_merge")
      .describe(
        "after_merge (default): merge, then apply. before_merge: `/apply` on the pull request, then merge. in_merge_queue: applied at the merge queue's group commit, merged only if it applied (set the queue's group size to 1).",
      ),
    autoplan: z.boolean().default(true).describe("Plan changed projects when a pull request is opened or pushed. Default true."),
    allow_forks: z.boolean().default(false).describe("Plan pull requests from forks. Default false: never run fork code."),
    approvals_survive: z
      .enum(["commit", "same_plan"])
      .default("commit")
      .describe("commit (default): a push invalidates approvals. same_plan: kept while every plan is unchanged."),
    on_apply_failure: z
      .enum(["report", "revert_pr"])
      .default("report")
      .describe("report (default), or revert_pr: open a pull request reverting the merge that failed to apply."),
    projects: z
      .array(ProjectSchema)
      // prefault, not default: zod drops a default over a transform from the generated JSON Schema.
      .prefault([])
      .describe("The projects of this repository."),
    environments: z.record(named("environment"), EnvironmentSchema).default({}).describe("Approval and promotion gates, by environment name."),
    workflows: z.record(named("workflow"), WorkflowSchema).default({}).describe("Custom workflows, by name."),
    drift: DriftSchema.prefault({}).describe("Drift detection. Default: off."),
  })
  .describe("Slipway repository configuration (.slipway.yml), version 1.");

export type RepoConfig = z.output<typeof RepoConfigSchema>;
export type ProjectConfig = z.output<typeof ProjectSchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
