// Runs one project's apply phase at the planned commit, with the plan file the plan wrote.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { RunTarget } from "../domain/run-target.ts";
import type { ProjectRunResult } from "../domain/types.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { runPhase } from "./run-phase.ts";
import { resolveWorkflow } from "./workflows.ts";
import { isDirectory, planFilePath, stepContext, stepEnvironment } from "./plan-project.ts";

export interface ApplyProjectInput {
  config: RepoConfig;
  project: ProjectConfig;
  target: RunTarget;
  worktreePath: string;
  runDir: string;
  /** Puts the stored plan file at the given path; false when there is none. */
  restorePlanFile: (target: string) => Promise<boolean>;
  env: Record<string, string>;
  redact: (line: string) => string;
  defaultTimeoutMs: number;
}

export async function applyProject(input: ApplyProjectInput): Promise<ProjectRunResult> {
  const { project, target } = input;
  const started = Date.now();
  const base = { project: project.name, dir: project.dir, environment: project.environment, truncated: false };
  const cwd = path.join(input.worktreePath, project.dir);
  if (!(await isDirectory(cwd))) return { ...base, status: "error", reason: `directory ${project.dir} does not exist`, output: "", durationMs: 0 };
  await mkdir(input.runDir, { recursive: true });
  const planFile = planFilePath(input.runDir, project.name);
  await input.restorePlanFile(planFile);
  const workflow = resolveWorkflow(project.workflow, input.config.workflows);
  if (!workflow) throw new Error(`workflow ${project.workflow} of ${project.name} passed validation but does not resolve`);
  const result = await runPhase({
    phase: "apply",
    project: project.name,
    steps: workflow(stepContext(planFile, project)).apply,
    cwd,
    env: stepEnvironment(input.env, project, target, planFile),
    defaultTimeoutMs: input.defaultTimeoutMs,
    // An apply is never cancelled by a newer push: stopping half-way leaves the world half-changed.
    redact: input.redact,
    logFile: `${planFile.replace(/\.plan$/, "")}.apply.log`,
  });
  const failed = result.status === "error" || result.status === "timed_out" || result.status === "canceled";
  return {
    ...base,
    status: failed ? (result.status === "timed_out" ? "timed_out" : "error") : result.status === "no_changes" ? "no_changes" : "changes",
    counts: result.counts,
    reason: failed
      ? `apply step failed${result.exitCode === null ? "" : ` with exit code ${result.exitCode}`}: ${result.failedStep ?? "unknown step"}`
      : undefined,
    output: result.output,
    truncated: result.truncated,
    fullLogPath: result.truncated ? result.fullLogPath : undefined,
    durationMs: Date.now() - started,
  };
}
