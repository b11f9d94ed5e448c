// Runs one step as a child process: argv only (never a shell built here), its own process group,
// the whole group killed on timeout, cancel, or when the step leaves processes behind, and by
// the step's watchdog when the worker itself dies (step-watchdog.ts).
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { OutputCapture } from "./output-capture.ts";
import { watchStepGroup, type WatchedGroup } from "./step-watchdog.ts";

export interface StepRun {
  argv: string[];
  cwd: string;
  /** Exactly the child's environment; the caller merges process.env if it wants it. */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Stdout goes to this file (created or truncated), byte for byte, instead of the log: for
   * machine-readable output such as a JSON plan, which is one huge line and may hold sensitive
   * values that redaction cannot know. Stderr is still captured.
   */
  stdoutFile?: string;
}

export interface StepOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
}

/** Time between SIGTERM and SIGKILL: terraform needs a moment to release its state lock. */
export const KILL_GRACE_MS = 3000;

export async function runStep(step: StepRun, capture: OutputCapture, opts: { killGraceMs?: number } = {}): Promise<StepOutcome> {
  const started = Date.now();
  const grace = opts.killGraceMs ?? KILL_GRACE_MS;
  const outcome = (o: Partial<StepOutcome>): StepOutcome => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    canceled: false,
    ...o,
    durationMs: Date.now() - started,
  });

  if (step.signal?.aborted) return outcome({ canceled: true });
  const [command, ...args] = step.argv;
  if (command === undefined || command === "") {
    await capture.writeLine("slipway: empty command");
    return outcome({});
  }
  if (!(await isDirectory(step.cwd))) {
    // Without this check spawn reports a missing cwd as the command being missing (ENOENT).
    await capture.writeLine(`slipway: working directory does not exist: ${step.cwd}`);
    return outcome({});
  }

  const child = spawn(command, args, {
    cwd: step.cwd,
    env: step.env,
    // A new process group (setsid), so one kill(-pid) reaches every grandchild too.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Right after the spawn, in the same tick: the step is never unwatched while this process lives.
  let watchdogError: Error | undefined;
  const watched: WatchedGroup | undefined = child.pid === undefined ? undefined : watchStepGroup(child.pid, (e) => (watchdogError = e));
  const stdoutTo: Writable = step.stdoutFile ? createWriteStream(step.stdoutFile) : capture.createInput();
  // Without a listener a failed file write would be thrown from the stream; the reader of the
  // file finds it missing or cut and says so, so here it is only noted in the log.
  let stdoutFileError: Error | undefined;
  if (step.stdoutFile) stdoutTo.on("error", (e) => (stdoutFileError = e));
  const pipes = [
    { from: child.stdout!, to: step.stdoutFile ? stdoutTo : capture.createInput("stdout") },
    { from: child.stderr!, to: capture.createInput("stderr") },
  ];
  for (const p of pipes) p.from.pipe(p.to);
  // pipe() ends the input only on 'end', not when the source is destroyed: end it ourselves.
  const stopReading = () => {
    for (const p of pipes) {
      p.from.unpipe(p.to);
      p.from.destroy();
      if (!p.to.writableEnded) p.to.end();
    }
  };

  let timedOut = false;
  let canceled = false;
  // After the step's own exit, a late timeout or abort must not relabel a finished step.
  let exited = false;
  const timers: NodeJS.Timeout[] = [];
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const terminate = () => {
    killGroup("SIGTERM");
    timers.push(
      setTimeout(() => {
        killGroup("SIGKILL");
        // A process that escaped into its own session may still hold our pipes: stop reading.
        timers.push(setTimeout(stopReading, 500));
      }, grace),
    );
  };
  const onAbort = () => {
    if (exited) return;
    canceled = true;
    terminate();
  };
  step.signal?.addEventListener("abort", onAbort, { once: true });
  timers.push(
    setTimeout(() => {
      if (exited) return;
      timedOut = true;
      terminate();
    }, step.timeoutMs),
  );

  try {
    const result = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
      child.once("error", (error) => {
        exited = true;
        stopReading();
        resolve({ code: null, signal: null, error });
      });
      child.once("exit", (code, signal) => {
        exited = true;
        // The step is done; anything it left running in its group would hold the pipes open.
        if (!timedOut && !canceled) terminate();
        resolve({ code, signal });
      });
    });
    await Promise.allSettled(pipes.map((p) => finished(p.to)));
    if (result.error) await capture.writeLine(describeSpawnError(command, result.error));
    if (stdoutFileError) await capture.writeLine(`slipway: could not write the step's output to ${step.stdoutFile}: ${stdoutFileError.message}`);
    if (watchdogError) await capture.writeLine(`slipway: could not start the step's watchdog (/bin/sh): ${watchdogError.message}`);
    return outcome({ exitCode: result.code, signal: result.signal, timedOut, canceled });
  } finally {
    watched?.release();
    for (const t of timers) clearTimeout(t);
    step.signal?.removeEventListener("abort", onAbort);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function describeSpawnError(command: string, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `slipway: command not found: ${command}`;
  if (code === "EACCES") return `slipway: permission denied running ${command}`;
  return `slipway: could not start ${command}: ${error.message}`;
}
