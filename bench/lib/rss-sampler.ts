// Samples the resident set size (VmRSS in /proc/<pid>/status) of processes every 100 ms.
// Linux only; a process that has exited simply stops contributing samples.
import { readFileSync } from "node:fs";

export function readRssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSampler {
  /** Highest RSS seen per pid so far, in MB. */
  peaks(): Map<number, number>;
  /** The samples of one pid, oldest first: [ms since start, MB]. */
  samples(pid: number): [number, number][];
  stop(): void;
}

export function sampleRss(pids: number[], intervalMs = 100): RssSampler {
  const started = Date.now();
  const series = new Map<number, [number, number][]>(pids.map((p) => [p, []]));
  const take = () => {
    for (const pid of pids) {
      const mb = readRssMb(pid);
      if (mb !== undefined) series.get(pid)!.push([Date.now() - started, mb]);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    peaks: () => new Map(pids.map((p) => [p, Math.max(0, ...series.get(p)!.map(([, mb]) => mb))])),
    samples: (pid) => [...(series.get(pid) ?? [])],
    stop: () => {
      take();
      clearInterval(timer);
    },
  };
}
