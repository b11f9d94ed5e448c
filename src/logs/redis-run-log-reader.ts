// Reads run logs written by RedisRunLogWriter (layout: run-log-keys.ts), from any server. A line's
// cursor is its sequence number in the run's log; lines still in the live stream come from it,
// older ones from the gzip members of the whole log.
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { RedisConnection } from "../queue/redis.ts";
import { batchId, parseNdjson, runLogKeys, storedLinesOf, type RunLogKeys, type StoredLine } from "./run-log-keys.ts";
import type { RunLogChunk, RunLogEntry, RunLogMeta, RunLogReader } from "./run-log.ts";
import type { StreamWaiter } from "./stream-waiter.ts";

const gunzipAsync = promisify(gunzip);

/** A cursor that is not one this reader gave out (a forged or stale Last-Event-ID). */
export class RunLogCursorError extends Error {}

/** The server is shutting down: streams should end (clients reconnect elsewhere and resume). */
export class RunLogClosedError extends Error {}

/** Stream entries fetched per read: at most MAX_BATCH_LINES lines each. */
const ENTRIES_PER_READ = 16;
const CACHED_MEMBERS = 8;

// The entry holding line `ARGV[1]` (the last one starting at or before it), the entries after
// it, and the counters, in one round trip.
const READ_SCRIPT = `
local found = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', 1)
local start = '-'
if #found > 0 then start = found[1][1] end
local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', ARGV[2])
local meta = redis.call('HMGET', KEYS[2], 'next', 'archived', 'members', 'endedAt')
return {entries, meta}`;

type StreamEntry = [id: string, fields: string[]];

interface Counters {
  next: number;
  archived: number;
  members: number;
  ended: boolean;
}

export class RedisRunLogReader implements RunLogReader {
  /** Decompressed members, most recent last: a client paging through an archive reuses them. */
  private readonly members = new Map<string, StoredLine[]>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly waiter: StreamWaiter,
  ) {}

  async meta(runId: string): Promise<RunLogMeta | undefined> {
    const h = await this.redis.hgetall(runLogKeys(this.prefix, runId).meta);
    if (!h.repo || !h.kind || !h.startedAt) return undefined;
    return {
      runId,
      repo: h.repo,
      kind: h.kind,
      startedAt: h.startedAt,
      ...(h.pull ? { pull: Number(h.pull) } : {}),
      ...(h.pullTitle ? { pullTitle: h.pullTitle } : {}),
      ...(h.sha ? { sha: h.sha } : {}),
      ...(h.endedAt ? { endedAt: h.endedAt } : {}),
    };
  }

  /** Which of these runs have a log (for the run list's `log` flag). */
  async existing(runIds: string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const p = this.redis.pipeline();
    for (const id of runIds) p.exists(runLogKeys(this.prefix, id).meta);
    const answers = (await p.exec()) ?? [];
    return new Set(runIds.filter((_, i) => answers[i]?.[1] === 1));
  }

  async read(runId: string, cursor: string | undefined, opts: { max: number; waitMs: number; signal?: AbortSignal }): Promise<RunLogChunk> {
    if (this.waiter.isClosed) throw new RunLogClosedError("the run log reader is closed");
    const keys = runLogKeys(this.prefix, runId);
    const next = cursor === undefined || cursor === "" ? 0 : parseCursor(cursor) + 1;
    const first = await this.readNow(keys, next, opts.max);
    if (first.chunk.entries.length > 0 || first.chunk.ended || opts.waitMs <= 0) return first.chunk;
    // Nothing new: anything that comes has a stream id after the last line seen.
    await this.waiter.wait(keys.lines, next === 0 ? "0-0" : batchId(next - 1), opts.waitMs, opts.signal);
    if (opts.signal?.aborted) return first.chunk;
    return (await this.readNow(keys, next, opts.max)).chunk;
  }

  private async readNow(keys: RunLogKeys, next: number, max: number): Promise<{ chunk: RunLogChunk }> {
    const [entries, raw] = (await this.redis.eval(READ_SCRIPT, 2, keys.lines, keys.meta, batchId(next), ENTRIES_PER_READ)) as [
      StreamEntry[],
      (string | null)[],
    ];
    const c: Counters = {
      next: Number(raw[0] ?? 0),
      archived: Number(raw[1] ?? 0),
      members: Number(raw[2] ?? 0),
      ended: raw[3] !== null && raw[3] !== undefined,
    };
    const firstInStream = firstSeqOf(entries);
    const out =
      firstInStream !== undefined && firstInStream <= next
        ? linesFrom(entries, next, max)
        : next < c.archived
          ? await this.fromArchive(keys, c, next, max)
          : linesFrom(entries, next, max);
    const last = out.at(-1);
    const reached = last ? Number(last.id) + 1 : next;
    return { chunk: { entries: out, ended: c.ended && reached >= c.next } };
  }

  private async fromArchive(keys: RunLogKeys, c: Counters, next: number, max: number): Promise<RunLogEntry[]> {
    const starts = (await this.redis.hmget(keys.gz, ...Array.from({ length: c.members }, (_, i) => `s${i}`))).map((s) => Number(s ?? Infinity));
    let index = -1;
    for (let i = 0; i < starts.length; i++) if (starts[i]! <= next) index = i;
    if (index < 0) return [];
    const lines = await this.member(keys, index);
    if (!lines) return [];
    const first = starts[index]!;
    return lines.slice(next - first, next - first + max).map((l, i) => entry(first + (next - first) + i, l));
  }

  private async member(keys: RunLogKeys, index: number): Promise<StoredLine[] | undefined> {
    const cacheKey = `${keys.gz}#${index}`;
    const cached = this.members.get(cacheKey);
    if (cached) {
      this.members.delete(cacheKey);
      this.members.set(cacheKey, cached);
      return cached;
    }
    const data = await this.redis.hgetBuffer(keys.gz, String(index));
    if (!data) return undefined;
    const lines = parseNdjson((await gunzipAsync(data)).toString("utf8"));
    this.members.set(cacheKey, lines);
    if (this.members.size > CACHED_MEMBERS) this.members.delete(this.members.keys().next().value!);
    return lines;
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new RunLogCursorError(`not a log cursor: ${cursor.slice(0, 40)}`);
  return Number(cursor);
}

function firstSeqOf(entries: StreamEntry[]): number | undefined {
  const e = entries.find(([, f]) => f[0] !== "end");
  return e ? Number(e[0].split("-")[0]) : undefined;
}

function linesFrom(entries: StreamEntry[], next: number, max: number): RunLogEntry[] {
  const out: RunLogEntry[] = [];
  for (const [id, fields] of entries) {
    if (fields[0] === "end") continue;
    const first = Number(id.split("-")[0]);
    const lines = storedLinesOf(fields);
    for (let i = Math.max(0, next - first); i < lines.length && out.length < max; i++) out.push(entry(first + i, lines[i]!));
    if (out.length >= max) break;
  }
  return out;
}

function entry(seq: number, [line, project, phase]: StoredLine): RunLogEntry {
  return { id: String(seq), line, ...(project ? { project } : {}), ...(phase ? { phase } : {}) };
}
