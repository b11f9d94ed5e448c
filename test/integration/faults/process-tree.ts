// Which processes descend from a pid, read from /proc (Linux): tells which worker process is
// running a plan step, since the step is its child. Processes that end while being read are skipped.
import { readdir, readFile } from "node:fs/promises";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group: plan steps run detached, in a group of their own. */
  pgid: number;
  /** One letter, as in ps: R running, S sleeping, Z zombie (ended, not yet reaped)… */
  state: string;
  /** argv joined with spaces. */
  cmd: string;
}

async function readProcess(pid: number): Promise<ProcessInfo | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may itself hold spaces or parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean).join(" ");
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0]!, cmd };
  } catch {
    return null;
  }
}

async function allProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir("/proc")).filter((n) => /^\d+$/.test(n)).map(Number);
  return (await Promise.all(pids.map(readProcess))).filter((p): p is ProcessInfo => p !== null);
}

/** Processes of a group still running: zombies (ended, waiting for a parent to reap them) do not count. */
export async function liveInGroup(pgid: number): Promise<ProcessInfo[]> {
  return (await allProcesses()).filter((p) => p.pgid === pgid && p.state !== "Z");
}

export async function descendantsOf(root: number): Promise<ProcessInfo[]> {
  const all = await allProcesses();
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

/**
 * Whether any process of group `pgid` still runs: `kill(-pgid, 0)` first, then, since a group
 * whose members are all zombies still answers it (here PID 1 does not reap orphans; tini does in
 * the image), the members' states from /proc.
 */
export async function groupRunning(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false; // ESRCH: no process has this group any more
  }
  return (await liveInGroup(pgid)).length > 0;
}
