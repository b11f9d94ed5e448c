// "Applies of one project never run concurrently, across all workers" (SPEC §7). Unlike the
// PR-lifetime project lock, this is a short-lived mutex: `SET NX PX` with a TTL, renewed by a
// heartbeat while the apply runs, so a long apply keeps it but a killed worker's mutex expires
// on its own. Release and renewal are compare-and-act on a random token: a holder whose mutex
// already expired can never delete or extend someone else's.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { RedisConnection } from "../queue/redis.ts";
import { repoId, type ProjectKey, type RepoKey } from "./lock-store.ts";

const RELEASE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RENEW_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export interface ApplyMutexOptions {
  /** How long the mutex outlives its last heartbeat. Default 30 s. */
  ttlMs?: number;
  /** Heartbeat period; keep it well under `ttlMs`. Default a third of `ttlMs`. */
  renewEveryMs?: number;
  /** How long to wait for a held mutex before giving up. Default 0: refuse at once. */
  waitMs?: number;
  /** Polling period while waiting. Default 100 ms. */
  pollMs?: number;
}

export interface HeldApplyMutex {
  acquired: true;
  token: string;
  /**
   * Aborted when the heartbeat finds the mutex gone or taken by someone else (this process stalled
   * past the TTL, or Redis lost the key). From then on exclusivity is no longer guaranteed.
   */
  lost: AbortSignal;
  release(): Promise<void>;
}

export type ApplyMutexResult = HeldApplyMutex | { acquired: false; holderToken: string | null };

export function applyMutexKey(prefix: string, project: ProjectKey): string {
  return `${prefix}:apply-mutex:{${repoId(project)}}:${project.project}`;
}

/** One drift run of a repository at a time: two would race to open the same drift issue. */
export function driftRunMutexKey(prefix: string, repo: RepoKey): string {
  return `${prefix}:drift-run:{${repoId(repo)}}`;
}

/** The same short-lived, heartbeat-renewed mutex, under any key. */
export async function acquireMutex(redis: RedisConnection, key: string, options: ApplyMutexOptions = {}): Promise<ApplyMutexResult> {
  const ttlMs = options.ttlMs ?? 30_000;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + (options.waitMs ?? 0);
  // The token names the process, so a refusal can say who holds the mutex.
  const token = `${hostname()}:${process.pid}:${randomUUID()}`;

  for (;;) {
    if ((await redis.set(key, token, "PX", ttlMs, "NX")) === "OK") return held(redis, key, token, ttlMs, renewEveryMs);
    if (Date.now() >= deadline) return { acquired: false, holderToken: await redis.get(key) };
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Runs `fn` while holding the project's apply mutex, releasing it afterwards even if `fn` throws.
 * `fn` receives the `lost` signal to stop early if exclusivity is lost.
 */
export function withApplyMutex<T>(
  redis: RedisConnection,
  prefix: string,
  project: ProjectKey,
  fn: (lost: AbortSignal) => Promise<T>,
  options: ApplyMutexOptions = {},
): Promise<{ acquired: true; value: T } | { acquired: false; holderToken: string | null }> {
  return withMutex(redis, applyMutexKey(prefix, project), fn, options);
}

export async function withMutex<T>(
  redis: RedisConnection,
  key: string,
  fn: (lost: AbortSignal) => Promise<T>,
  options: ApplyMutexOptions = {},
): Promise<{ acquired: true; value: T } | { acquired: false; holderToken: string | null }> {
  const mutex = await acquireMutex(redis, key, options);
  if (!mutex.acquired) return mutex;
  try {
    return { acquired: true, value: await fn(mutex.lost) };
  } finally {
    await mutex.release();
  }
}

function held(redis: RedisConnection, key: string, token: string, ttlMs: number, renewEveryMs: number): HeldApplyMutex {
  const lost = new AbortController();
  let lastRenewed = Date.now();
  let released = false;
  const heartbeat = setInterval(() => {
    redis.eval(RENEW_IF_OURS, 1, key, token, String(ttlMs)).then(
      (renewed) => {
        if (released) return;
        if (renewed === 1) lastRenewed = Date.now();
        else stop("the apply mutex expired or was taken by another holder");
      },
      () => {
        // Redis unreachable: keep trying until the TTL would have run out on the server too.
        if (!released && Date.now() - lastRenewed >= ttlMs) stop("the apply mutex could not be renewed within its TTL");
      },
    );
  }, renewEveryMs);
  // A forgotten release must not keep the process alive; the TTL cleans up after it.
  heartbeat.unref();

  function stop(reason: string): void {
    clearInterval(heartbeat);
    lost.abort(new Error(reason));
  }

  return {
    acquired: true,
    token,
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      await redis.eval(RELEASE_IF_OURS, 1, key, token);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
