// Workflows: what each phase runs, as argv lists. Built-ins for terraform, opentofu and ansible;
// custom ones come from `.slipway.yml` `workflows:`. Pure.

export type Phase = "validate" | "plan" | "apply";

/**
 * How a step's exit code reads:
 * - `plain`: 0 = success, anything else = error.
 * - `detailed`: terraform's `-detailed-exitcode`: 0 = no changes, 2 = changes, other = error.
 * - `ansible-recap`: 0 = success, with changes when the PLAY RECAP counts `changed=N` > 0;
 *   non-zero = error (ansible's own 2 means "a host failed", never "changes").
 * Default: `detailed` in the plan phase (SPEC §4), `plain` elsewhere.
 */
export type ExitCodeConvention = "plain" | "detailed" | "ansible-recap";

export interface StepSpec {
  argv: string[];
  env?: Record<string, string>;
  timeoutSeconds?: number;
  exitCodes?: ExitCodeConvention;
  /**
   * The step prints a terraform/opentofu JSON plan (`show -json`) on stdout: the runner saves
   * stdout to this file instead of the log, and the phase's counts, touched resources and digest
   * come from it rather than from the plan's text.
   */
  planJsonFile?: string;
}

export interface StepContext {
  /** Where the plan phase writes its plan and the apply phase reads it (SLIPWAY_PLAN_FILE). */
  planFile: string;
}

export type PhaseSteps = Record<Phase, StepSpec[]>;
export type Workflow = (ctx: StepContext) => PhaseSteps;

/** One step of a custom workflow, as `.slipway.yml` spells it. */
export interface CustomWorkflowStep {
  run: string | string[];
  env?: Record<string, string>;
  timeout_seconds?: number;
}

export interface CustomWorkflowConfig {
  validate?: CustomWorkflowStep[];
  plan?: CustomWorkflowStep[];
  apply?: CustomWorkflowStep[];
}

export type BuiltInWorkflowName = "terraform" | "opentofu" | "ansible";

function terraformLike(binary: string): Workflow {
  // TF_IN_AUTOMATION drops the "run terraform apply next" hints meant for a human at a terminal.
  const env = { TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  const init: StepSpec = { argv: [binary, "init", "-input=false", "-no-color"], env, exitCodes: "plain" };
  return ({ planFile }) => ({
    validate: [init, { argv: [binary, "validate", "-no-color"], env }],
    plan: [
      init,
      {
        argv: [binary, "plan", "-input=false", "-no-color", "-detailed-exitcode", `-out=${planFile}`],
        env,
        exitCodes: "detailed",
      },
      // The JSON form of the saved plan gives exact counts and a digest of the change itself
      // (SPEC §7), where the text would give only what its summary line and layout say.
      { argv: [binary, "show", "-no-color", "-json", planFile], env, exitCodes: "plain", planJsonFile: `${planFile}.json` },
    ],
    // Apply reads the saved plan: exactly what was reviewed, nothing re-planned.
    apply: [init, { argv: [binary, "apply", "-input=false", "-no-color", "-auto-approve", planFile], env }],
  });
}

const ansible: Workflow = () => {
  const env = { ANSIBLE_NOCOLOR: "1", ANSIBLE_RETRY_FILES_ENABLED: "0" };
  return {
    validate: [{ argv: ["ansible-playbook", "--syntax-check", "site.yml"], env }],
    plan: [{ argv: ["ansible-playbook", "--check", "--diff", "site.yml"], env, exitCodes: "ansible-recap" }],
    apply: [{ argv: ["ansible-playbook", "site.yml"], env, exitCodes: "ansible-recap" }],
  };
};

export const builtInWorkflows: Record<BuiltInWorkflowName, Workflow> = {
  terraform: terraformLike("terraform"),
  opentofu: terraformLike("tofu"),
  ansible,
};

/**
 * A `{run: "…"}` string goes to `sh -c`: it is the config author's own shell line, from the
 * repository's config, and nothing from Slipway is ever interpolated into it.
 */
export function customStep(step: CustomWorkflowStep): StepSpec {
  const spec: StepSpec = { argv: typeof step.run === "string" ? ["sh", "-c", step.run] : [...step.run] };
  if (step.env) spec.env = { ...step.env };
  if (step.timeout_seconds !== undefined) spec.timeoutSeconds = step.timeout_seconds;
  return spec;
}

export function customWorkflow(config: CustomWorkflowConfig): Workflow {
  // Custom steps learn the plan file from SLIPWAY_PLAN_FILE, so the context is not needed here.
  return () => ({
    validate: (config.validate ?? []).map(customStep),
    plan: (config.plan ?? []).map(customStep),
    apply: (config.apply ?? []).map(customStep),
  });
}

/** The named workflow; a custom one of the same name as a built-in wins (the author asked for it). */
export function resolveWorkflow(name: string, custom: Record<string, CustomWorkflowConfig> = {}): Workflow | undefined {
  const own = Object.hasOwn(custom, name) ? custom[name] : undefined;
  if (own) return customWorkflow(own);
  return Object.hasOwn(builtInWorkflows, name) ? builtInWorkflows[name as BuiltInWorkflowName] : undefined;
}
