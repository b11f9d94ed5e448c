// Runs one phase (validate, plan, apply) of a project: its steps in order into one capture,
// stopping at the first failure, and reads the result the way SPEC §4 defines it.
import { rm } from "node:fs/promises";
import type { ChangeCounts, ResourceChange } from "../domain/types.ts";
import { currentRunLog } from "../logs/run-log-context.ts";
import { OutputCapture } from "./output-capture.ts";
import { AnsibleRecapScanner, ChangeCountScanner, PlanDigest } from "./plan-summary.ts";
import { readPlanJsonFile } from "./read-plan-json-file.ts";
import type { TerraformPlanSummary } from "./terraform-plan-json.ts";
import { runStep, type StepOutcome } from "./run-step.ts";
import type { ExitCodeConvention, Phase, StepSpec } from "./workflows.ts";

export interface PhaseInput {
  phase: Phase;
  /** The project the phase runs for: each line of the run's log says so. */
  project?: string;
  steps: StepSpec[];
  cwd: string;
  /** The whole step environment (worker env + SLIPWAY_*), before each step's own `env`. */
  env: Record<string, string>;
  defaultTimeoutMs: number;
  signal?: AbortSignal;
  redact: (line: string) => string;
  logFile?: string;
  headBytes?: number;
  tailBytes?: number;
  killGraceMs?: number;
}

/**
 * Status mapping:
 * - plan: `changes` if any step said so (exit 2 under `detailed`, exit 1 under `diff`, recap
 *   changed>0 under `ansible-recap`), else `no_changes`.
 * - validate: success is `no_changes` (validation changes nothing).
 * - apply: success is `changes` (something was applied), or `no_changes` when the tool's own
 *   summary says 0 added, 0 changed, 0 destroyed.
 * - any phase: `error` on a failing step, `timed_out` / `canceled` when the runner stopped it.
 */
export type PhaseStatus = "no_changes" | "changes" | "error" | "timed_out" | "canceled";

export interface PhaseResult {
  status: PhaseStatus;
  /** Exit code of the last step run (null: killed, or could not start). */
  exitCode: number | null;
  output: string;
  truncated: boolean;
  totalBytes: number;
  fullLogPath?: string;
  counts?: ChangeCounts;
  /**
   * Plan phase only: digest of the change. From the JSON plan when a step saved one (see
   * terraform-plan-json.ts), else of the plan steps' own stdout (not init's), see plan-summary.ts.
   * Not stderr: it arrives on its own pipe, so where its lines (warnings) fall among stdout's
   * differs from run to run.
   */
  digest?: string;
  /** The resources the plan touches, when a step saved a JSON plan. */
  resources?: ResourceChange[];
  durationMs: number;
  /** The failing step's command, as echoed. */
  failedStep?: string;
}

type StepVerdict = "ok" | "changes" | "error";

export async function runPhase(input: PhaseInput): Promise<PhaseResult> {
  const started = Date.now();
  const counts = new ChangeCountScanner();
  const digest = input.phase === "plan" ? new PlanDigest({ paths: runPaths(input) }) : undefined;
  let stepCounts: ChangeCountScanner | undefined;
  let recap: AnsibleRecapScanner | undefined;
  let digestOn = false;
  const runLog = currentRunLog();
  const capture = new OutputCapture({
    redact: input.redact,
    headBytes: input.headBytes,
    tailBytes: input.tailBytes,
    logFile: input.logFile,
    // Summaries (terraform's `Plan:`, ansible's PLAY RECAP) are on stdout; a warning on stderr
    // landing between two recap lines must not end the recap.
    onLine: (line, stream) => {
      // Every cleaned line, runner lines too, as it is printed (the console streams it).
      runLog?.line(line, input.project, input.phase);
      if (stream !== "stdout") return;
      counts.add(line);
      stepCounts?.add(line);
      recap?.add(line);
      if (digestOn) digest?.add(line);
    },
  });

  let status: PhaseStatus = input.phase === "apply" ? "changes" : "no_changes";
  let sawChanges = false;
  let exitCode: number | null = null;
  let failedStep: string | undefined;
  let planJson: TerraformPlanSummary | undefined;

  for (const step of input.steps) {
    if (input.signal?.aborted) {
      status = "canceled";
      break;
    }
    const shown = displayCommand(step.argv);
    const convention = step.exitCodes ?? (input.phase === "plan" ? "detailed" : "plain");
    await capture.writeLine(`$ ${shown}`);
    stepCounts = new ChangeCountScanner();
    recap = convention === "ansible-recap" ? new AnsibleRecapScanner() : undefined;
    digestOn = convention !== "plain";
    const timeoutMs = step.timeoutSeconds !== undefined ? step.timeoutSeconds * 1000 : input.defaultTimeoutMs;
    const outcome = await runStep(
      {
        argv: step.argv,
        cwd: input.cwd,
        env: { ...input.env, ...step.env },
        timeoutMs,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(step.planJsonFile ? { stdoutFile: step.planJsonFile } : {}),
      },
      capture,
      input.killGraceMs !== undefined ? { killGraceMs: input.killGraceMs } : {},
    );
    digestOn = false;
    exitCode = outcome.exitCode;

    const stopped = stoppedStatus(outcome);
    const verdict = stopped ? "error" : readExit(convention, outcome.exitCode, stepCounts.counts);
    const recapProblem = !stopped && outcome.exitCode === 0 && recap ? ansibleRecapProblem(recap) : undefined;
    if (verdict === "changes" && !recapProblem) sawChanges = true;
    if (stopped || verdict === "error" || recapProblem) {
      status = stopped ?? "error";
      failedStep = shown;
      await capture.writeLine(`slipway: ${recapProblem ?? explain(outcome, timeoutMs)}`);
      // Whatever part of a JSON plan was written holds planned values in clear: not kept.
      if (step.planJsonFile) await rm(step.planJsonFile, { force: true });
      break;
    }
    if (step.planJsonFile) {
      // An unreadable JSON plan fails the plan: its digest gates approvals (SPEC §7), and a
      // guess from the text would be exactly the inexact digest the JSON is there to replace.
      const read = await readPlanJsonFile(step.planJsonFile, input.redact);
      if (!read.ok) {
        status = "error";
        failedStep = shown;
        await capture.writeLine(`slipway: ${read.error}`);
        break;
      }
      planJson = read.summary;
      await capture.writeLine(`slipway: JSON plan read: ${describeJsonPlan(read.summary)}`);
    }
  }

  if (status !== "error" && status !== "timed_out" && status !== "canceled") {
    status = successStatus(input.phase, sawChanges, counts.counts);
  }
  await capture.close();
  if (capture.logError) await capture.writeLine(`slipway: full log not written: ${capture.logError.message}`);
  const result: PhaseResult = {
    status,
    exitCode,
    output: capture.text(),
    truncated: capture.truncated,
    totalBytes: capture.totalBytes,
    durationMs: Date.now() - started,
  };
  if (input.logFile && !capture.logError) result.fullLogPath = input.logFile;
  if (planJson) {
    result.counts = planJson.counts;
    result.resources = planJson.resources;
  } else if (counts.counts) result.counts = counts.counts;
  if (digest && (status === "changes" || status === "no_changes")) result.digest = planJson?.digest ?? digest.digest();
  if (failedStep !== undefined) result.failedStep = failedStep;
  return result;
}

function describeJsonPlan(s: TerraformPlanSummary): string {
  const c = s.counts;
  const extra = (["replace", "import", "move", "forget"] as const).filter((k) => (c[k] ?? 0) > 0).map((k) => `${c[k]} to ${k}`);
  const outputs = s.outputs.length > 0 ? `; outputs changed: ${s.outputs.join(", ")}` : "";
  return `${c.add} to add, ${c.change} to change, ${c.destroy} to destroy${extra.length ? ` (${extra.join(", ")})` : ""}${outputs}`;
}

function stoppedStatus(o: StepOutcome): "timed_out" | "canceled" | undefined {
  if (o.canceled) return "canceled";
  if (o.timedOut) return "timed_out";
  return undefined;
}

function readExit(convention: ExitCodeConvention, code: number | null, counts: ChangeCounts | undefined): StepVerdict {
  if (code === 0) {
    if (convention === "ansible-recap" && counts && counts.change > 0) return "changes";
    return "ok";
  }
  if (code === 2 && convention === "detailed") return "changes";
  if (code === 1 && convention === "diff") return "changes";
  return "error";
}

/** Why an ansible run that exited 0 still says nothing trustworthy about the world. */
function ansibleRecapProblem(r: AnsibleRecapScanner): string | undefined {
  if (!r.seen) return "no PLAY RECAP in ansible's output, so whether anything changes is unknown";
  if (r.hosts === 0) return "the PLAY RECAP lists no host: no play matched one (is the inventory there? see README, Workflows)";
  if (r.failed > 0 || r.unreachable > 0) return `the PLAY RECAP counts failed=${r.failed} unreachable=${r.unreachable}`;
  return undefined;
}

function successStatus(phase: Phase, sawChanges: boolean, counts: ChangeCounts | undefined): PhaseStatus {
  if (phase === "validate") return "no_changes";
  if (phase === "plan") return sawChanges ? "changes" : "no_changes";
  const nothing = counts !== undefined && counts.add + counts.change + counts.destroy === 0;
  return nothing ? "no_changes" : "changes";
}

function explain(o: StepOutcome, timeoutMs: number): string {
  if (o.canceled) return "step canceled";
  if (o.timedOut) return `step timed out after ${Math.round(timeoutMs / 100) / 10}s`;
  if (o.signal) return `step killed by ${o.signal}`;
  if (o.exitCode === null) return "step could not start";
  return `step failed with exit code ${o.exitCode}`;
}

/** Paths that differ between two runs of the same plan, replaced before hashing. */
function runPaths(input: PhaseInput): string[] {
  const paths = [input.cwd, input.env.SLIPWAY_PLAN_FILE];
  if (input.logFile) paths.push(input.logFile);
  return paths.filter((p): p is string => typeof p === "string" && p.length > 0);
}

/** Shell-like quoting for display only; the step itself never goes through a shell this way. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}
