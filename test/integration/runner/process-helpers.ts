// Helpers for runner tests that look at real processes.
import { readFileSync } from "node:fs";

/**
 * Whether a process still exists. A zombie counts as gone: it has exited and only waits for its
 * parent to reap it (in a container whose PID 1 does not reap orphans it may stay a zombie).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc (macOS): trust kill(pid, 0)
  }
}

export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

export function sh(script: string): string[] {
  return ["sh", "-c", script];
}
