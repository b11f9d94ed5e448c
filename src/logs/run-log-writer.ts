// Writes one run's redacted lines to Redis (layout: run-log-keys.ts) as the steps print them.
// Lines are queued as bytes (line-batch-queue.ts) and flushed every ~50 ms: one round trip per
// flush, not per line (a flood goes in rounds of ~1 MiB). Redis trouble never
// reaches the step: the queue is bounded, a line that does not fit is dropped and counted, and
// the log says so where it happened. Nothing here throws.
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import { LogArchive, type ArchiveMember, type ArchiveState } from "./log-archive.ts";
import { LineBatchQueue, type LineBatch } from "./line-batch-queue.ts";
import {
  batchId,
  endId,
  MAX_BATCH_LINES,
  NDJSON_FIELD,
  RUN_LOG_TTL_SECONDS,
  runLogKeys,
  storedLinesOf,
  type RunLogKeys,
  type StoredLine,
} from "./run-log-keys.ts";
import type { RunLogMeta } from "./run-log.ts";

/** Bytes of lines per round trip at most: a flood is sent in several. */
const ROUND_TRIP_BYTES = 1024 * 1024;
/**
 * Bytes per batch, so per XADD. Sent one command each rather than in one MULTI: ioredis builds a
 * MULTI's text as one string, and a string of over 128 KiB alive at a young collection moves at
 * once to the old generation, which grew the worker by tens of MB under a flood.
 */
const BATCH_BUFFER_BYTES = 32 * 1024;

export interface RunLogWriterOptions {
  flushMs?: number;
  /** Bytes of lines (as stored) waiting for Redis at most; more are dropped (and counted in the log). */
  maxQueuedBytes?: number;
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

/**
 * One round trip, prepared once and retried as it is until Redis takes it, so that its sequence
 * numbers and members hold: batches starting at line `firstSeq`, the gzip members they complete,
 * the counters after it, and whether it ends the log.
 */
interface RoundTrip {
  firstSeq: number;
  batches: LineBatch[];
  members: ArchiveMember[];
  after: ArchiveState;
  end: boolean;
}

export class RedisRunLogWriter implements RunLogSink {
  readonly url: string | undefined;
  /** Round trips that delivered lines; the tests and the bench read it. */
  flushes = 0;
  droppedLines = 0;

  private readonly keys: RunLogKeys;
  private readonly flushMs: number;
  private readonly endTimeoutMs: number;
  private readonly ttl: number;
  private readonly queue: LineBatchQueue;
  private readonly archive: LogArchive;
  /** The round trip a failure left, retried before anything else. */
  private pending: RoundTrip | undefined;
  private dropping = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private ended = false;
  private started = false;
  private endWritten = false;
  private marker = true;
  /** A retried run continues its earlier attempt's log: its counters are loaded once. */
  private loaded = false;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
    private readonly meta: RunLogMeta,
    private readonly opts: RunLogWriterOptions = {},
  ) {
    this.keys = runLogKeys(prefix, meta.runId);
    this.url = opts.url;
    this.flushMs = opts.flushMs ?? 50;
    this.endTimeoutMs = opts.endTimeoutMs ?? 3000;
    this.ttl = opts.ttlSeconds ?? RUN_LOG_TTL_SECONDS;
    this.queue = new LineBatchQueue({ maxLines: MAX_BATCH_LINES, batchBytes: BATCH_BUFFER_BYTES, maxBytes: opts.maxQueuedBytes ?? 8 * 1024 * 1024 });
    this.archive = new LogArchive(opts.memberBytes ?? 256 * 1024);
  }

  line(text: string, project?: string, phase?: string): void {
    if (this.ended) return;
    if (!this.started) {
      this.started = true;
      const attempt = this.opts.attempt ?? 1;
      if (attempt > 1) this.note(`slipway: attempt ${attempt} of this run`);
    }
    // Once dropping, lines are kept again only when half the queue is free: the note says how
    // many went, once per gap rather than once per line.
    if (this.dropping > 0 && this.queue.bytes <= this.queue.maxBytes / 2) this.noteDropped();
    if (this.dropping > 0 || !this.queue.push(JSON.stringify(stored(text, project, phase)))) {
      this.dropping++;
      this.droppedLines++;
      return;
    }
    this.schedule();
  }

  /** Delivers what is queued now, without waiting for the timer (stops at the first failure). */
  async flush(): Promise<void> {
    do await this.flushOnce(false);
    while ((this.queue.lines > 0 || this.pending) && this.failures === 0);
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
    if (this.dropping > 0) this.noteDropped();
    const deadline = Date.now() + this.endTimeoutMs;
    while (Date.now() < deadline) {
      // A flush already under way (not the final one) is awaited first, then the final one runs.
      await this.flushOnce(true);
      if (this.endWritten || (!this.marker && !this.pending && this.queue.lines === 0)) return;
      if (this.failures > 0) await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
    const lost = this.queue.lines + (this.pending?.batches.reduce((n, b) => n + b.lines, 0) ?? 0);
    this.opts.log?.warn({ run: this.meta.runId, lost }, "run log: Redis unavailable, its end was not written");
  }

  /** A line of Slipway's own about the log: kept even when the queue is full. */
  private note(text: string): void {
    this.queue.push(JSON.stringify(stored(text)), true);
  }

  private noteDropped(): void {
    this.note(`slipway: ${this.dropping} lines dropped here: Redis did not keep up`);
    this.dropping = 0;
  }

  /**
   * At most one flush per `flushMs`: a line after a quiet spell goes out at once (on the next
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
        if (this.queue.lines > 0 || this.pending) this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  private flushOnce(final: boolean): Promise<void> {
    this.flushing ??= this.deliver(final).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Round trips until the queue is empty (and, when `final`, the end is written). */
  private async deliver(final: boolean): Promise<void> {
    try {
      if (!this.loaded) await this.load();
      for (;;) {
        this.pending ??= await this.prepare(final);
        if (!this.pending) return;
        await this.send(this.pending);
        this.queue.release(this.pending.batches);
        this.pending = undefined;
        this.failures = 0;
      }
    } catch (err) {
      if (this.failures++ === 0) this.opts.log?.warn({ run: this.meta.runId, err: (err as Error).message }, "run log: could not write to Redis; retrying");
    }
  }

  /** The next round trip: queued batches, or the end of the log once they are all sent. */
  private async prepare(final: boolean): Promise<RoundTrip | undefined> {
    const firstSeq = this.archive.counters.next;
    if (this.queue.lines > 0) {
      const batches = this.queue.take(ROUND_TRIP_BYTES);
      const members = await this.archive.add(batches);
      return { firstSeq, batches, members, after: this.archive.counters, end: false };
    }
    if (!final || !this.marker || this.endWritten) return undefined;
    const members = await this.archive.finish();
    return { firstSeq, batches: [], members, after: this.archive.counters, end: true };
  }

  /**
   * In order on one connection: the members with their expiry (binary, so apart); the batches,
   * one XADD each (see ROUND_TRIP_BYTES); then the trim, meta, end and expiries in one MULTI,
   * which makes the members and lines count. Every write may be repeated: a retried trip writes
   * the same member fields and stream ids again.
   */
  private async send(trip: RoundTrip): Promise<void> {
    const writes: Promise<unknown>[] = [];
    if (trip.members.length > 0) {
      const g = this.redis.multi();
      for (const member of trip.members) g.hset(this.keys.gz, String(member.index), member.data, `s${member.index}`, String(member.start));
      writes.push(execAll(g.expire(this.keys.gz, this.ttl)));
    }
    let seq = trip.firstSeq;
    for (const batch of trip.batches) {
      writes.push(this.redis.xadd(this.keys.lines, batchId(seq), NDJSON_FIELD, batch.bytes).catch(unlessWritten));
      seq += batch.lines;
    }
    const m = this.redis.multi();
    if (this.flushes === 0)
      m.hset(this.keys.meta, metaFields(this.meta)).hsetnx(this.keys.meta, "startedAt", this.meta.startedAt).hdel(this.keys.meta, "endedAt");
    // Entries whose lines are all in a gzip member go: the tail is at most one member's worth.
    if (trip.members.length > 0) m.xtrim(this.keys.lines, "MINID", "~", `${trip.after.archived}-0`);
    m.hset(this.keys.meta, { next: trip.after.next, archived: trip.after.archived, members: trip.after.members });
    if (trip.end) m.xadd(this.keys.lines, endId(trip.after.next), "end", new Date().toISOString()).hset(this.keys.meta, "endedAt", new Date().toISOString());
    for (const key of [this.keys.meta, this.keys.lines, this.keys.gz]) m.expire(key, this.ttl);
    writes.push(execAll(m));
    // All settle before the trip counts as failed, so a retry never overtakes a write still going.
    const results = await Promise.allSettled(writes);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    this.flushes++;
    if (trip.end) this.endWritten = true;
  }

  /** Counters of an earlier attempt, and its lines not yet archived (it may have died). */
  private async load(): Promise<void> {
    const [next, archived, members] = await this.redis.hmget(this.keys.meta, "next", "archived", "members");
    const state = { next: Number(next ?? 0), archived: Number(archived ?? 0), members: Number(members ?? 0) };
    let unarchived = "";
    if (state.next > state.archived) {
      for (const [, fields] of await this.redis.xrange(this.keys.lines, `${state.archived}-0`, "+")) {
        for (const line of storedLinesOf(fields)) unarchived += `${JSON.stringify(line)}\n`;
      }
    }
    this.archive.resume(state, Buffer.from(unarchived));
    this.loaded = true;
  }
}

async function execAll(m: ReturnType<RedisConnection["multi"]>): Promise<void> {
  for (const [err] of (await m.exec()) ?? []) if (err) unlessWritten(err);
}

/** A retry of a trip whose answer was lost finds its stream entries there already: not an error. */
function unlessWritten(err: Error): void {
  if (!/equal or smaller/.test(err.message)) throw err;
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
