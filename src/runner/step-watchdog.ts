// A dead worker leaves no step running (SPEC §10). Each worker process has one watchdog: a tiny
// `/bin/sh` holding one end of a pipe whose other end only the worker holds. The worker tells it,
// over the pipe, the process group of each step it starts ("+PGID") and of each that ended
// ("-PGID"). When the worker dies — SIGKILL, the OOM killer, a graceful shutdown whose grace ran
// out — the kernel closes its end, the watchdog's `read` sees end-of-file, and it ends every step
// group still listed.
//
// Why a watchdog and not a record of process groups that a restarted worker ends: it works even
// if that worker never comes back, on any machine, within a second of the death — before any
// other worker can report the job interrupted. Why `sh`: a Node supervisor costs ~40 ms and ~40 MB.
// Why one per process and not one per step: spawning even `sh` costs the worker's thread a few
// milliseconds per step (bench `step_watchdog`); a line on a pipe costs microseconds. The script
// is a fixed string; it accepts nothing but digits as a group id.
import { spawn, type ChildProcess } from "node:child_process";

/**
 * Between the watchdog's SIGTERM and SIGKILL. Shorter than half the shortest job lock
 * (SLIPWAY_JOB_LOCK_SECONDS ≥ 2): a BullMQ lock outlives its worker by at least half its
 * duration, so the steps are gone before anyone can report their job interrupted.
 */
export const ORPHAN_KILL_GRACE_SECONDS = 0.5;

// $1: seconds between SIGTERM and SIGKILL. `groups` holds " PGID PGID … ", each at most once.
const WATCHDOG_SCRIPT = `
groups=" "
while read -r line; do
  pgid=\${line#?}
  case "$pgid" in ""|*[!0-9]*) continue ;; esac
  case "$line" in
    +*) groups="$groups$pgid " ;;
    -*) case "$groups" in *" $pgid "*) groups="\${groups%% $pgid *} \${groups#* $pgid }" ;; esac ;;
  esac
done
[ "$groups" = " " ] && exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
sleep "$1"
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
exit 0
`;

export interface WatchedGroup {
  /** The step is over: its group is no longer the watchdog's to end. */
  release(): void;
}

let watchdog: ChildProcess | undefined;
/** Groups this process watches now: told again to a watchdog that replaces one that died. */
const watched = new Set<number>();

/** Watches the process group `pgid` (a step spawned detached) on behalf of this process. */
export function watchStepGroup(pgid: number, onError: (err: Error) => void): WatchedGroup {
  watched.add(pgid);
  tell(`+${pgid}`, onError);
  return {
    release() {
      if (!watched.delete(pgid)) return;
      tell(`-${pgid}`, onError);
    },
  };
}

function tell(line: string, onError: (err: Error) => void): void {
  // A new watchdog is told every group watched at its start, this one's change included.
  if (!watchdog) return void start(onError);
  // libuv writes to a pipe at once when nothing is queued: the line is in the kernel's buffer
  // before the step can outlive this process.
  watchdog.stdin!.write(`${line}\n`);
}

function start(onError: (err: Error) => void): void {
  const w = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "slipway-step-watchdog", String(ORPHAN_KILL_GRACE_SECONDS)], {
    // Its own session: a Ctrl-C meant for the worker's terminal must not end the watchdog.
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog = w;
  w.once("error", (err) => {
    if (watchdog === w) watchdog = undefined;
    onError(err);
  });
  // Killed by someone else: a new one at once, told every group still watched. One that ended on
  // its own (it cannot run) is not restarted in a loop: the next step tries again.
  w.once("exit", (_code, signal) => {
    if (watchdog !== w) return;
    watchdog = undefined;
    if (signal !== null && watched.size > 0) start(onError);
  });
  w.stdin!.on("error", () => {});
  // Neither keeps this process alive: when it ends, the pipe closes and the watchdog does its job.
  w.unref();
  (w.stdin as unknown as { unref?: () => void }).unref?.();
  if (watched.size > 0) w.stdin!.write([...watched].map((pgid) => `+${pgid}\n`).join(""));
}
