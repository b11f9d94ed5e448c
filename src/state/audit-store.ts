// The audit trail in Redis (SPEC §9). Layout, all under one Cluster hash tag so the write script
// may touch every key it needs (BASE = `<prefix>:{audit}`):
//   BASE:repo:<o/n>      stream  the events of one repository, `e` = the event as a JSON array
//                                (audit/event.ts encodeStored: positional, no field names)
//   BASE:all             stream  the index of every event: the same id, `r` = its repository
//   BASE:repos           zset    repository (lowercase o/n) → ms of its last event: the exporter's work list
//   BASE:export:<o/n>    string  the id of the last event the audit webhook acknowledged
// The stream id is the event's id: it increases with time, and `at` is read back from it. An
// event is stored once (in its repository's stream); a query without `repo` walks the index and
// fetches the events from their repositories' streams. Every stream is trimmed by age on every
// write (XADD MINID ~) and capped by count (XTRIM MAXLEN ~), so memory stays bounded.
import type { RedisConnection } from "../queue/redis.ts";
import { decodeStored, encodeStored, eventFrom, idTime, type AuditEvent, type AuditInput, type AuditKind } from "../audit/event.ts";

/** KEYS: all, repo stream, repos. ARGV: json, minid (ms), maxlen, repo key, ttl ms. Returns the id. */
const RECORD = `
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[2], '*', 'r', ARGV[4])
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], id, 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[3])
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], string.match(id, '^(%d+)'), ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[2])
return id
`;

/** A complete stream id, as the store hands them out; nothing else is accepted as a position. */
export const STREAM_ID = /^[1-9]\d{0,15}-\d{1,19}$/;

export interface AuditFilter {
  /** `OWNER/NAME`, any case. */
  repo?: string;
  actor?: string;
  kind?: AuditKind;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Events strictly older than this id (a previous page's last id). */
  before?: string;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Where the next page starts; absent when there is nothing older. */
  nextCursor?: string;
}

export interface AuditStoreOptions {
  retentionMs: number;
  /** Hard cap per stream, whatever the age. */
  maxEvents: number;
}

/** Raw entries read per round trip while filtering. */
const BATCH = 200;
/** Entries one page may look through before it returns what it found with a cursor. */
const SCAN_BUDGET = 5000;

type Entry = [id: string, fields: string[]];

export class AuditStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly options: AuditStoreOptions,
  ) {}

  /** Stores the event; returns it as read back (id and at given). */
  async append(input: AuditInput, now = Date.now()): Promise<AuditEvent> {
    const repo = repoKey(input.repo);
    const id = (await this.redis.eval(
      RECORD,
      3,
      this.key("all"),
      this.repoStream(repo),
      this.key("repos"),
      encodeStored(input),
      String(Math.max(1, now - this.options.retentionMs)),
      String(this.options.maxEvents),
      repo,
      String(this.options.retentionMs),
    )) as string;
    return eventFrom(id, input);
  }

  /** One page, newest first. */
  async page(filter: AuditFilter, limit: number): Promise<AuditPage> {
    const events: AuditEvent[] = [];
    let scanned = 0;
    let end = this.endOf(filter);
    // Trimming by age is approximate (whole stream nodes go at once); reading is exact.
    const oldest = Date.now() - this.options.retentionMs;
    const start = String(Math.max(oldest, filter.since ?? 0));
    for (;;) {
      const entries = (await this.redis.xrevrange(this.streamOf(filter), end, start, "COUNT", BATCH)) as Entry[];
      const read = filter.repo !== undefined ? entries.map(([id, fields]) => parseEntry(id, fields)) : await this.fromIndex(entries);
      for (const [i, event] of read.entries()) {
        scanned++;
        const id = entries[i]![0];
        if (event && matches(event, filter)) events.push(event);
        if (events.length === limit) return { events, nextCursor: id };
        if (scanned >= SCAN_BUDGET) return { events, nextCursor: id };
      }
      if (entries.length < BATCH) return { events };
      end = `(${entries.at(-1)![0]}`;
    }
  }

  /** Every matching event, newest first, for exports: page after page. */
  async *all(filter: AuditFilter): AsyncGenerator<AuditEvent> {
    let before = filter.before;
    for (;;) {
      const page = await this.page({ ...filter, before }, 500);
      yield* page.events;
      if (!page.nextCursor) return;
      before = page.nextCursor;
    }
  }

  /** Events of one repository after `afterId`, oldest first (the exporter's reading). */
  async after(repo: string, afterId: string, count: number): Promise<AuditEvent[]> {
    const entries = (await this.redis.xrange(this.repoStream(repoKey(repo)), `(${afterId}`, "+", "COUNT", count)) as Entry[];
    return entries.map(([id, fields]) => parseEntry(id, fields)).filter((e): e is AuditEvent => e !== null);
  }

  /** Repositories with events within the retention (lowercase `owner/name`), with the ms of their last event. */
  async repos(): Promise<{ repo: string; lastAt: number }[]> {
    const flat = await this.redis.zrange(this.key("repos"), "0", "-1", "WITHSCORES");
    const out: { repo: string; lastAt: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ repo: flat[i]!, lastAt: Number(flat[i + 1]) });
    return out;
  }

  async exportCursor(repo: string): Promise<string> {
    return (await this.redis.get(this.key(`export:${repoKey(repo)}`))) ?? "0-0";
  }

  async setExportCursor(repo: string, id: string): Promise<void> {
    await this.redis.set(this.key(`export:${repoKey(repo)}`), id);
  }

  /** The events the index entries point at, in one round trip; null where one was trimmed since. */
  private async fromIndex(entries: Entry[]): Promise<(AuditEvent | null)[]> {
    if (entries.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const [id, fields] of entries) pipeline.xrange(this.repoStream(fields[fields.indexOf("r") + 1] ?? ""), id, id);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, found]) => {
      if (err) throw err;
      const entry = (found as Entry[])[0];
      return entry ? parseEntry(entry[0], entry[1]) : null;
    });
  }

  private endOf(filter: AuditFilter): string {
    if (filter.before !== undefined) {
      if (!STREAM_ID.test(filter.before)) throw new Error("not a stream id");
      if (filter.until === undefined || idTime(filter.before) <= filter.until) return `(${filter.before}`;
    }
    return filter.until !== undefined ? String(filter.until) : "+";
  }

  private streamOf(filter: AuditFilter): string {
    return filter.repo !== undefined ? this.repoStream(repoKey(filter.repo)) : this.key("all");
  }

  private repoStream(repo: string): string {
    return this.key(`repo:${repo}`);
  }

  private key(rest: string): string {
    return `${this.prefix}:{audit}:${rest}`;
  }
}

/** Owner and repository names are case-insensitive on GitHub: one key whatever the spelling. */
function repoKey(repo: string): string {
  return repo.toLowerCase();
}

function parseEntry(id: string, fields: string[]): AuditEvent | null {
  const at = fields.indexOf("e");
  const json = at < 0 ? undefined : fields[at + 1];
  if (json === undefined) return null;
  return eventFrom(id, decodeStored(json));
}

function matches(event: AuditEvent, filter: AuditFilter): boolean {
  if (filter.kind !== undefined && event.kind !== filter.kind) return false;
  if (filter.actor !== undefined && event.actor.toLowerCase() !== filter.actor.toLowerCase()) return false;
  return true;
}
