// A dead worker leaves no step running (SPEC §10). Each step gets a watchdog: a tiny `/bin/sh`
// holding one end of a pipe whose other end only the worker holds. When the worker dies — SIGKILL,
// the OOM killer, or a graceful shutdown whose grace ran out — the kernel closes its end, the
// watchdog's `read` sees end-of-file, and it ends the step's whole process group.
//
// Why a watchdog and not a record of process groups that a restarted worker ends: it works even
// if that worker never comes back, on any machine, within a second of the death — before any
// other worker can report the job interrupted. Why `sh` and not a Node supervisor: a Node process
// costs ~40 ms and ~40 MB per step, `sh` about a millisecond and a few hundred KB (see README,
// Operations). The script is a fixed string; the step's process group and the grace reach it as
// arguments, never as shell text.
import { spawn, type ChildProcess } from "node:child_process";

/**
 * Between the watchdog's SIGTERM and SIGKILL. Shorter than half the shortest job lock
 * (SLIPWAY_JOB_LOCK_SECONDS ≥ 2): a BullMQ lock outlives its worker by at least half its
 * duration, so the step is gone before anyone can report its job interrupted.
 */
export const ORPHAN_KILL_GRACE_SECONDS = 0.5;

// $1: the step's process group; $2: seconds between SIGTERM and SIGKILL. The worker never writes
// to the pipe: `read` returns only at end-of-file, when the worker's end is closed by its death.
const WATCHDOG_SCRIPT = ["while read -r _; do :; done", 'kill -TERM -"$1" 2>/dev/null || exit 0', 'sleep "$2"', 'kill -KILL -"$1" 2>/dev/null', "exit 0"].join(
  "\n",
);

export interface StepWatchdog {
  /** The step is over: the watchdog goes without touching the group. */
  dismiss(): void;
}

/** Watches the process group `pgid` (a step spawned detached) on behalf of this process. */
export function watchStepGroup(pgid: number, onError: (err: Error) => void): StepWatchdog {
  const watchdog: ChildProcess = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "slipway-step-watchdog", String(pgid), String(ORPHAN_KILL_GRACE_SECONDS)], {
    // Its own session: a Ctrl-C meant for the worker's terminal must not end the watchdog.
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.once("error", onError);
  // The pipe breaks when the watchdog is dismissed; nothing is ever written to it.
  watchdog.stdin!.on("error", () => {});
  return {
    dismiss() {
      // SIGKILL before the pipe closes: the watchdog must not read the end-of-file and kill a
      // group whose id may, once the step has ended, belong to some other process group.
      if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill("SIGKILL");
      watchdog.stdin!.destroy();
    },
  };
}
