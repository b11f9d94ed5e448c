// Runs one project's validate and plan phases in a checked-out worktree → a result users read.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { RunTarget } from "../domain/run-target.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { runPhase, type PhaseResult } from "./run-phase.ts";
import { resolveWorkflow, type StepContext } from "./workflows.ts";

export interface PlanProjectInput {
  config: RepoConfig;
  project: ProjectConfig;
  target: RunTarget;
  worktreePath: string;
  /** Plan files and full logs of runs at this target (see runDirOf). */
  runDir: string;
  env: Record<string, string>;
  redact: (line: string) => string;
  defaultTimeoutMs: number;
  signal: AbortSignal;
}

export async function planProject(input: PlanProjectInput): Promise<ProjectRunResult> {
  const { project, target } = input;
  const started = Date.now();
  const cwd = path.join(input.worktreePath, project.dir);
  const base = { project: project.name, dir: project.dir, environment: project.environment, truncated: false };
  if (!(await isDirectory(cwd))) {
    return { ...base, status: "error", reason: `directory ${project.dir} does not exist at ${target.sha.slice(0, 7)}`, output: "", durationMs: 0 };
  }
  await mkdir(input.runDir, { recursive: true });
  const fileStem = path.join(input.runDir, safeFileName(project.name));
  const planFile = planFilePath(input.runDir, project.name);
  const workflow = resolveWorkflow(project.workflow, input.config.workflows);
  // The config validator rejects unknown workflow names, so this is a fault, not user input.
  if (!workflow) throw new Error(`workflow ${project.workflow} of ${project.name} passed validation but does not resolve`);
  const steps = workflow(stepContext(planFile, project));
  const env = stepEnvironment(input.env, project, target, planFile);
  const common = { cwd, env, project: project.name, defaultTimeoutMs: input.defaultTimeoutMs, signal: input.signal, redact: input.redact };

  let outcome: PhaseResult | undefined;
  let combinedOutput = "";
  if (steps.validate.length > 0) {
    const validate = await runPhase({ ...common, phase: "validate", steps: steps.validate, logFile: `${fileStem}.validate.log` });
    combinedOutput = validate.output;
    if (validate.status !== "no_changes") outcome = validate;
  }
  if (!outcome) {
    outcome = await runPhase({ ...common, phase: "plan", steps: steps.plan, logFile: `${fileStem}.plan.log` });
    combinedOutput = combinedOutput ? `${combinedOutput}\n${outcome.output}` : outcome.output;
  }
  return {
    ...base,
    status: resultStatus(outcome.status),
    counts: outcome.counts,
    ...resourceList(outcome),
    reason: reasonFor(outcome),
    output: combinedOutput,
    truncated: outcome.truncated,
    fullLogPath: outcome.truncated ? outcome.fullLogPath : undefined,
    planDigest: outcome.digest,
    durationMs: Date.now() - started,
  };
}

/**
 * The result crosses Redis and BullMQ and is kept per head: a plan touching tens of thousands of
 * resources must not make it huge. Renderers show fewer still; the counts stay exact.
 */
export const MAX_LISTED_RESOURCES = 1000;

function resourceList(outcome: PhaseResult): Pick<ProjectRunResult, "resourceChanges" | "resourceChangesTotal"> {
  if (!outcome.resources) return {};
  return { resourceChanges: outcome.resources.slice(0, MAX_LISTED_RESOURCES), resourceChangesTotal: outcome.resources.length };
}

/** What a workflow needs to know of the run and the project to build its steps. */
export function stepContext(planFile: string, project: ProjectConfig): StepContext {
  const ctx: StepContext = { planFile };
  if (project.kubernetes?.prune_selector !== undefined) ctx.kubernetesPruneSelector = project.kubernetes.prune_selector;
  return ctx;
}

/** What every step sees besides the worker's own environment (SPEC §4). */
export function stepEnvironment(base: Record<string, string>, project: ProjectConfig, target: RunTarget, planFile: string): Record<string, string> {
  return {
    ...base,
    SLIPWAY_PROJECT: project.name,
    SLIPWAY_ENVIRONMENT: project.environment ?? "",
    // Empty for a direct push or a drift run: there is no pull request.
    SLIPWAY_PR: target.pull === undefined ? "" : String(target.pull),
    SLIPWAY_SHA: target.sha,
    SLIPWAY_PLAN_FILE: planFile,
  };
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export function planFilePath(runDir: string, project: string): string {
  return `${path.join(runDir, safeFileName(project))}.plan`;
}

function resultStatus(status: PhaseResult["status"]): ProjectRunResult["status"] {
  return status === "canceled" ? "superseded" : status;
}

function reasonFor(r: PhaseResult): string | undefined {
  if (r.status === "timed_out") return `step timed out: ${r.failedStep ?? "unknown step"}`;
  if (r.status === "error") return `step failed${r.exitCode === null ? "" : ` with exit code ${r.exitCode}`}: ${r.failedStep ?? "unknown step"}`;
  return undefined;
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}
