// One blocking Redis connection per server for every client waiting on a run's log: XREAD BLOCK
// over all the streams someone waits on, so 20 or 2000 streaming clients cost one connection.
// A wait on a stream the in-flight XREAD does not cover interrupts it (CLIENT UNBLOCK from the
// command connection) so the new stream joins at once instead of after the block times out.
// A stream stays in the XREAD for a while after its last wait ended, at the newest id seen: the
// client that was woken reads and waits again, and must not interrupt the XREAD each time.
import type { RedisConnection } from "../queue/redis.ts";

interface Waiter {
  afterId: string;
  done: () => void;
}

const BLOCK_MS = 5000;
/**
 * On a Cluster, CLIENT UNBLOCK cannot be aimed at the node the XREAD blocks on: blocks are short
 * instead, so a stream not yet in the XREAD joins within this.
 */
const CLUSTER_BLOCK_MS = 200;
const LINGER_MS = 10_000;

export class StreamWaiter {
  private readonly waiting = new Map<string, Set<Waiter>>();
  /** Streams waited on lately: the newest id the XREAD saw, and until when to keep watching. */
  private readonly recent = new Map<string, { id: string; until: number }>();
  /** The ids the in-flight XREAD waits after, per stream; undefined between calls. */
  private inflight: Map<string, string> | undefined;
  private running = false;
  private closed = false;
  private blockingId: number | undefined;
  private readonly onCluster: boolean;
  /** XREAD calls made. */
  reads = 0;

  /**
   * @param blocking a connection of its own (it is blocked most of the time)
   * @param command any other connection, used to interrupt the blocking one
   */
  constructor(
    private readonly blocking: RedisConnection,
    private readonly command: RedisConnection,
  ) {
    this.onCluster = blocking.isCluster;
    blocking.on("ready", () => (this.blockingId = undefined));
  }

  /** Resolves when `key` has an entry after `afterId`, after `timeoutMs`, or on abort. */
  wait(key: string, afterId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    const seen = this.recent.get(key);
    // Woken for an entry before this caller looked: it is there already.
    if (seen && compareIds(seen.id, afterId) > 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", finish);
        const set = this.waiting.get(key);
        set?.delete(waiter);
        if (set?.size === 0) this.waiting.delete(key);
        resolve();
      };
      const waiter: Waiter = { afterId, done: finish };
      const timer = setTimeout(finish, timeoutMs);
      signal?.addEventListener("abort", finish, { once: true });
      let set = this.waiting.get(key);
      if (!set) this.waiting.set(key, (set = new Set()));
      set.add(waiter);
      this.kick(key, afterId);
    });
  }

  /** Reads waiting now: a client that hung up is no longer one of them. */
  get waitingCount(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /** After close(), waits end at once: the server is shutting down. */
  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const set of this.waiting.values()) for (const w of [...set]) w.done();
    this.blocking.disconnect();
  }

  private kick(key: string, afterId: string): void {
    if (!this.running) {
      this.running = true;
      void this.loop();
      return;
    }
    const covered = this.inflight?.get(key);
    if (this.inflight && (covered === undefined || compareIds(covered, afterId) > 0)) void this.interrupt(this.inflight);
  }

  private async loop(): Promise<void> {
    try {
      while (!this.closed && this.waiting.size > 0) {
        const now = Date.now();
        for (const [k, r] of this.recent) if (r.until < now && !this.waiting.has(k)) this.recent.delete(k);
        const keys = [...new Set([...this.waiting.keys(), ...this.recent.keys()])];
        const ids = keys.map((k) => {
          const waits = [...(this.waiting.get(k) ?? [])].map((w) => w.afterId);
          return minId(waits.length > 0 ? waits : [this.recent.get(k)!.id]);
        });
        try {
          if (!this.onCluster) this.blockingId ??= Number(await this.blocking.client("ID"));
          this.inflight = new Map(keys.map((k, i) => [k, ids[i]!]));
          this.reads++;
          const answer = (await this.blocking.xread("COUNT", 1, "BLOCK", this.onCluster ? CLUSTER_BLOCK_MS : BLOCK_MS, "STREAMS", ...keys, ...ids)) as
            [string, [string, string[]][]][] | null;
          this.inflight = undefined;
          for (const [key, entries] of answer ?? []) this.wake(key, entries.at(-1)?.[0]);
        } catch {
          this.inflight = undefined;
          // Redis away: the waits time out on their own; try again shortly.
          if (!this.closed) await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      this.running = false;
    }
    // A wait registered just as the loop was ending.
    if (!this.closed && this.waiting.size > 0 && !this.running) {
      this.running = true;
      void this.loop();
    }
  }

  private wake(key: string, newest: string | undefined): void {
    if (newest === undefined) return;
    this.recent.set(key, { id: newest, until: Date.now() + LINGER_MS });
    for (const w of [...(this.waiting.get(key) ?? [])]) if (compareIds(w.afterId, newest) < 0) w.done();
  }

  /** Ends the in-flight XREAD early; retried briefly in case it has not reached Redis yet. */
  private async interrupt(call: Map<string, string>): Promise<void> {
    for (let tries = 0; tries < 5 && this.inflight === call; tries++) {
      const id = this.blockingId;
      if (id === undefined) return;
      const unblocked = await this.command.client("UNBLOCK", id).catch(() => 0);
      if (unblocked === 1) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

/** Orders stream ids `ms-seq` numerically. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}

function minId(ids: string[]): string {
  return ids.reduce((a, b) => (compareIds(a, b) <= 0 ? a : b));
}
