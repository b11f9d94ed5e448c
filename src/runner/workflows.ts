// Workflows: what each phase runs, as argv lists. Built-ins for terraform, opentofu, ansible and
// kubernetes; custom ones come from `.slipway.yml` `workflows:`. Pure.

export type Phase = "validate" | "plan" | "apply";

/**
 * How a step's exit code reads:
 * - `plain`: 0 = success, anything else = error.
 * - `detailed`: terraform's `-detailed-exitcode`: 0 = no changes, 2 = changes, other = error.
 * - `ansible-recap`: 0 = success, with changes when the PLAY RECAP counts `changed=N` > 0;
 *   non-zero = error (ansible's own 2 means "a host failed", never "changes"). An error too,
 *   whatever the exit code: a recap counting `failed` or `unreachable` hosts, a recap listing no
 *   host at all (no play matched one: nothing was checked), no recap at all.
 * - `diff`: diff(1)'s, which `kubectl diff` follows: 0 = no changes, 1 = changes, other = error.
 * Default: `detailed` in the plan phase (SPEC §4), `plain` elsewhere.
 */
export type ExitCodeConvention = "plain" | "detailed" | "ansible-recap" | "diff";

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
  /** The project's `kubernetes.prune_selector`: the kubernetes apply prunes only with one. */
  kubernetesPruneSelector?: string;
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

export type BuiltInWorkflowName = "terraform" | "opentofu" | "ansible" | "kubernetes";

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

/**
 * Ansible's environment, each choice on purpose (the env wins over the project's ansible.cfg):
 * - ANSIBLE_NOCOLOR=1 and ANSIBLE_FORCE_COLOR=0: no colour codes even when the worker's own env
 *   forces colour (FORCE_COLOR beats NOCOLOR in ansible); the capture strips ANSI anyway, this
 *   keeps the full log file clean too.
 * - ANSIBLE_RETRY_FILES_ENABLED=0: no `site.retry` written into the checked-out worktree.
 * - ANSIBLE_STDOUT_CALLBACK=default: the PLAY RECAP Slipway reads is the default callback's; a
 *   repo's `stdout_callback = json` would leave it nothing to read (and read as an error).
 * Not set, deliberately: the inventory (see `ansible` below), host key checking, callbacks such
 * as profile_tasks (their timings are normalised out of the plan digest).
 */
const ANSIBLE_ENV: Record<string, string> = {
  ANSIBLE_NOCOLOR: "1",
  ANSIBLE_FORCE_COLOR: "0",
  ANSIBLE_RETRY_FILES_ENABLED: "0",
  ANSIBLE_STDOUT_CALLBACK: "default",
};

/**
 * No `-i`: ansible finds the inventory as it does for someone running the same command in the
 * project directory: ANSIBLE_INVENTORY from the worker's environment, else `inventory =` in the
 * project's own ansible.cfg, else the worker's /etc/ansible/hosts, else only the implicit
 * `localhost` (with a warning). Passing `-i localhost,` would override a repository's own
 * inventory; a play that matches no host at all is an error (see `ansible-recap`), never a quiet
 * "no changes".
 */
const ansible: Workflow = () => {
  const env = ANSIBLE_ENV;
  return {
    validate: [{ argv: ["ansible-playbook", "--syntax-check", "site.yml"], env }],
    plan: [{ argv: ["ansible-playbook", "--check", "--diff", "site.yml"], env, exitCodes: "ansible-recap" }],
    apply: [{ argv: ["ansible-playbook", "--diff", "site.yml"], env, exitCodes: "ansible-recap" }],
  };
};

/**
 * The manifests are the project directory's (`-f .`, recursively). `kubectl diff` exits 1 when
 * the live objects differ; the apply is server-side. Nothing is pruned unless the project names
 * a label selector: a prune deletes live objects a manifest no longer lists, so it is opt-in.
 */
const kubernetes: Workflow = ({ kubernetesPruneSelector }) => {
  const files = ["-f", ".", "--recursive"];
  const prune = kubernetesPruneSelector === undefined ? [] : ["--prune", `--selector=${kubernetesPruneSelector}`];
  return {
    validate: [],
    plan: [{ argv: ["kubectl", "diff", "--server-side", ...files, ...prune], exitCodes: "diff" }],
    apply: [{ argv: ["kubectl", "apply", "--server-side", ...files, ...prune], exitCodes: "plain" }],
  };
};

export const builtInWorkflows: Record<BuiltInWorkflowName, Workflow> = {
  terraform: terraformLike("terraform"),
  opentofu: terraformLike("tofu"),
  ansible,
  kubernetes,
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
