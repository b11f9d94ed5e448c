// CPU time of processes from /proc/<pid>/stat: their own, and that of their children once reaped
// (git, steps). Linux only. Where a machine's cores go explains a makespan better than a guess.
import { readFileSync } from "node:fs";

export interface CpuTimes {
  /** Seconds of user + system time of the process itself. */
  own: number;
  /** The system part of `own` (for a parent of many children, largely fork). */
  system: number;
  /** Seconds of its reaped children (and their children). */
  children: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function readCpuTimes(pid: number): CpuTimes {
  return parseCpuTimes(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** The times in the text of a /proc/<pid>/stat file. */
export function parseCpuTimes(stat: string): CpuTimes {
  // Fields after "(comm) ": state is [0]; utime, stime, cutime, cstime are [11]..[14].
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  const n = (i: number) => Number(fields[i]) / TICKS_PER_SECOND;
  return { own: n(11) + n(12), system: n(12), children: n(13) + n(14) };
}

export function cpuSince(pid: number, start: CpuTimes): CpuTimes {
  const now = readCpuTimes(pid);
  return { own: now.own - start.own, system: now.system - start.system, children: now.children - start.children };
}
