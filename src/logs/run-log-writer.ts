// Writes one run's redacted lines to Redis (layout: run-log-keys.ts) as the steps print them.
// Lines are queued in memory and flushed every ~50 ms as one MULTI (one round trip per batch,
// not per line). Redis trouble never reaches the step: the queue is bounded, a line that does not
// fit is dropped and counted, and the log says so where it happened. Nothing here throws.
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import { batchId, endId, MAX_BATCH_LINES, RUN_LOG_TTL_SECONDS, runLogKeys, type RunLogKeys, type StoredLine } from "./run-log-keys.ts";
import type { RunLogMeta } from "./run-log.ts";

const gzipAsync = promisify(gzip);

export interface RunLogWriterOptions {
  flushMs?: number;
  /** Lines waiting for Redis at most; more are dropped (and counted in the log). */
  maxQueuedLines?: number;
  /** Plain bytes of lines per gzip member of the whole log. */
  memberBytes?: number;
  /** How long `end()` keeps trying to deliver what is queued. */
  endTimeoutMs?: number;
  /** Which attempt of the run this is: from the second on, the log says so before its lines. */
  attempt?: number;
  /** The console page showing this log (run-log-url.ts). */
  url?: string;
  ttlSeconds?: number;
  log?: Logger;
}

/** What the runner needs of a run's log: fire-and-forget lines. */
export interface RunLogSink {
  line(text: string, project?: string, phase?: string): void;
  /** The console page showing this log, for links from comments and check runs. */
  readonly url?: string;
}

interface Batch {
  firstSeq: number;
  lines: StoredLine[];
}

export class RedisRunLogWriter implements RunLogSink {
  readonly url: string | undefined;
  /** Round trips that delivered lines; the tests and the bench read it. */
  flushes = 0;
  droppedLines = 0;

  private readonly keys: RunLogKeys;
  private readonly flushMs: number;
  private readonly maxQueued: number;
  private readonly memberBytes: number;
  private readonly endTimeoutMs: number;
  private readonly ttl: number;
  private readonly queue: StoredLine[] = [];
  /** A batch a failed round trip left: retried as it was, so its sequence numbers hold. */
  private pending: Batch | undefined;
  private dropping = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private ended = false;
  private started = false;
  private endWritten = false;
  private marker = true;
  // Counters as stored in meta, loaded once (a retried run continues its earlier attempt's log).
  private loaded = false;
  private next = 0;
  private archived = 0;
  private members = 0;
  /** NDJSON of lines after `archived`, for the next gzip member. */
  private unarchived: string[] = [];
  private unarchivedBytes = 0;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
    private readonly meta: RunLogMeta,
    private readonly opts: RunLogWriterOptions = {},
  ) {
    this.keys = runLogKeys(prefix, meta.runId);
    this.url = opts.url;
    this.flushMs = opts.flushMs ?? 50;
    this.maxQueued = opts.maxQueuedLines ?? 20_000;
    this.memberBytes = opts.memberBytes ?? 256 * 1024;
    this.endTimeoutMs = opts.endTimeoutMs ?? 3000;
    this.ttl = opts.ttlSeconds ?? RUN_LOG_TTL_SECONDS;
  }

  line(text: string, project?: string, phase?: string): void {
    if (this.ended) return;
    if (!this.started) {
      this.started = true;
      const attempt = this.opts.attempt ?? 1;
      if (attempt > 1) this.queue.push([`slipway: attempt ${attempt} of this run`]);
    }
    if (this.queue.length >= this.maxQueued) {
      this.dropping++;
      this.droppedLines++;
      return;
    }
    if (this.dropping > 0) {
      this.queue.push([`slipway: ${this.dropping} lines dropped here: Redis did not keep up`]);
      this.dropping = 0;
    }
    this.queue.push(stored(text, project, phase));
    this.schedule();
  }

  /** Delivers what is queued now, without waiting for the timer (stops at the first failure). */
  async flush(): Promise<void> {
    do await this.flushOnce(false);
    while ((this.queue.length > 0 || this.pending) && this.failures === 0);
  }

  /**
   * Delivers what is queued (bounded in time), then the end marker, unless `marker` is false (an
   * attempt that will be retried: the next attempt goes on with the log). Never throws.
   */
  async end(opts: { marker?: boolean } = {}): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.marker = opts.marker ?? true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started) return;
    if (this.dropping > 0) this.queue.push([`slipway: ${this.dropping} lines dropped here: Redis did not keep up`]);
    const deadline = Date.now() + this.endTimeoutMs;
    while (Date.now() < deadline) {
      // A flush already under way (not the final one) is awaited first, then the final one runs.
      await this.flushOnce(true);
      if (this.endWritten || (!this.marker && !this.pending && this.queue.length === 0)) return;
      if (this.failures > 0) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
    this.opts.log?.warn(
      { run: this.meta.runId, lost: this.queue.length + (this.pending?.lines.length ?? 0) },
      "run log: Redis unavailable, its end was not written",
    );
  }

  /**
   * At most one round trip per `flushMs`: a line after a quiet spell goes out at once (on the next
   * turn of the event loop, with whatever else the same chunk of output held); lines that come
   * sooner wait for the rest of the interval and go together.
   */
  private schedule(): void {
    if (this.timer || this.flushing) return;
    const wait = this.failures > 0 ? backoff(this.failures) : Math.max(0, this.lastFlushAt + this.flushMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFlushAt = Date.now();
      void this.flushOnce(false).then(() => {
        if (this.queue.length > 0 || this.pending) this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  private flushOnce(final: boolean): Promise<void> {
    this.flushing ??= this.deliver(final).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async deliver(final: boolean): Promise<void> {
    try {
      if (!this.loaded) await this.load();
      for (;;) {
        if (!this.pending && this.queue.length > 0) this.pending = { firstSeq: this.next, lines: this.queue.splice(0, MAX_BATCH_LINES) };
        const last = final && this.marker && this.queue.length === 0;
        if (!this.pending && !last) return;
        await this.send(this.pending, last);
        this.failures = 0;
        if (last) return;
      }
    } catch (err) {
      if (this.failures++ === 0) this.opts.log?.warn({ run: this.meta.runId, err: (err as Error).message }, "run log: could not write to Redis; retrying");
    }
  }

  /** One round trip: the batch, a gzip member when enough is unarchived, meta, expiries. */
  private async send(batch: Batch | undefined, last: boolean): Promise<void> {
    const lines = batch?.lines.map((l) => JSON.stringify(l)) ?? [];
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    const archiveNow = last ? this.unarchived.length + lines.length > 0 : this.unarchivedBytes + bytes >= this.memberBytes;
    const member = archiveNow ? await gzipAsync(`${[...this.unarchived, ...lines].join("\n")}\n`) : undefined;
    const nextSeq = batch ? batch.firstSeq + batch.lines.length : this.next;
    const m = this.redis.multi();
    if (this.flushes === 0)
      m.hset(this.keys.meta, metaFields(this.meta)).hsetnx(this.keys.meta, "startedAt", this.meta.startedAt).hdel(this.keys.meta, "endedAt");
    // Entries whose lines are all in an earlier gzip member go: the tail is one member's worth.
    if (batch) m.xadd(this.keys.lines, "MINID", "~", `${this.archived}-0`, batchId(batch.firstSeq), "l", `[${lines.join(",")}]`);
    if (member) m.hset(this.keys.gz, String(this.members), member, `s${this.members}`, String(this.archived));
    const archived = member ? nextSeq : this.archived;
    const members = member ? this.members + 1 : this.members;
    m.hset(this.keys.meta, { next: nextSeq, archived, members });
    if (last) m.xadd(this.keys.lines, endId(nextSeq), "end", new Date().toISOString()).hset(this.keys.meta, "endedAt", new Date().toISOString());
    for (const key of [this.keys.meta, this.keys.lines, this.keys.gz]) m.expire(key, this.ttl);
    const results = await m.exec();
    for (const [err] of results ?? []) {
      // A retry of a round trip whose answer was lost: that entry is already there.
      if (err && !/equal or smaller/.test(err.message)) throw err;
    }
    this.flushes++;
    this.pending = undefined;
    if (last) this.endWritten = true;
    this.next = nextSeq;
    if (member) {
      this.archived = archived;
      this.members = members;
      this.unarchived = [];
      this.unarchivedBytes = 0;
    } else {
      this.unarchived.push(...lines);
      this.unarchivedBytes += bytes;
    }
  }

  /** Counters of an earlier attempt, and its lines not yet archived (it may have died). */
  private async load(): Promise<void> {
    const [next, archived, members] = await this.redis.hmget(this.keys.meta, "next", "archived", "members");
    this.next = Number(next ?? 0);
    this.archived = Number(archived ?? 0);
    this.members = Number(members ?? 0);
    if (this.next > this.archived) {
      const entries = await this.redis.xrange(this.keys.lines, `${this.archived}-0`, "+");
      for (const [, fields] of entries) {
        if (fields[0] !== "l") continue;
        for (const l of JSON.parse(fields[1]!) as StoredLine[]) {
          const json = JSON.stringify(l);
          this.unarchived.push(json);
          this.unarchivedBytes += json.length + 1;
        }
      }
    }
    this.loaded = true;
  }
}

function stored(text: string, project?: string, phase?: string): StoredLine {
  if (phase !== undefined) return [text, project ?? "", phase];
  return project !== undefined ? [text, project] : [text];
}

function metaFields(meta: RunLogMeta): Record<string, string> {
  const f: Record<string, string> = { repo: meta.repo, kind: meta.kind };
  if (meta.pull !== undefined) f.pull = String(meta.pull);
  if (meta.pullTitle !== undefined) f.pullTitle = meta.pullTitle;
  if (meta.sha !== undefined) f.sha = meta.sha;
  return f;
}

function backoff(failures: number): number {
  return Math.min(100 * 2 ** failures, 5000);
}
