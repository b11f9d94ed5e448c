// Where a run's log lives in Redis, and how long. One place, shared by the writer and the reader.
//
// - `…:meta`  hash: repo, pull, pullTitle, sha, kind, startedAt, endedAt, and the writer's counters
//             (`next`: lines written; `archived`: lines already in `gz`; `members`: gz members).
// - `…:lines` stream: the live tail. One entry per batch of lines, id `${firstSeq}-1`, so a
//             line's sequence number finds its entry without a lookup; its field `n` holds the
//             lines as NDJSON. An end marker is the entry `${lineCount}-0` with the field `end`.
// - `…:gz`    hash: the whole log, gzip members of ~256 KiB of lines each: field `${i}` is
//             member i (gzip of NDJSON lines), field `s${i}` the sequence number of its first
//             line. Hash fields make a retried write idempotent, which a list push would not be.
// Stream entries whose lines are all archived in `gz` are trimmed (XTRIM MINID, in the same MULTI
// that raises `archived`), so Redis holds the log compressed plus about one member's worth of
// plain tail. A gz member counts once `members` covers it; stream entries may land before the
// meta that counts them (readers go by the entries).

/** As long as the plan the run made is kept (src/state/plan-file-store.ts). */
export { PLAN_FILE_TTL_SECONDS as RUN_LOG_TTL_SECONDS } from "../state/plan-file-store.ts";

/** Lines per stream entry at most: a reader looks this far back for the entry holding a line. */
export const MAX_BATCH_LINES = 256;

export interface RunLogKeys {
  meta: string;
  lines: string;
  gz: string;
}

/**
 * One hash tag for every run log (src/queue/key-scheme.ts): a flush's MULTI and the reader's
 * script touch one run's keys, and the shared waiter's XREAD the streams of many runs at once.
 */
export function runLogKeys(prefix: string, runId: string): RunLogKeys {
  const base = `${prefix}:{runlog}:${runId}`;
  return { meta: `${base}:meta`, lines: `${base}:lines`, gz: `${base}:gz` };
}

/** The stream id of the batch whose first line is `seq`. */
export function batchId(seq: number): string {
  return `${seq}-1`;
}

/** The stream id of an end marker written after `lineCount` lines. */
export function endId(lineCount: number): string {
  return `${lineCount}-0`;
}

/** One line as stored: text, then project and phase when known. */
export type StoredLine = [text: string, project?: string, phase?: string];

/** The stream field holding a batch's lines, one JSON array (a StoredLine) per line. */
export const NDJSON_FIELD = "n";

/**
 * The lines of one stream entry: none for an end marker. Entries written before the lines were
 * NDJSON hold one JSON array of them in the field `l`.
 */
export function storedLinesOf(fields: string[]): StoredLine[] {
  if (fields[0] === NDJSON_FIELD) return parseNdjson(fields[1]!);
  if (fields[0] === "l") return JSON.parse(fields[1]!) as StoredLine[];
  return [];
}

export function parseNdjson(text: string): StoredLine[] {
  const out: StoredLine[] = [];
  for (const line of text.split("\n")) if (line.length > 0) out.push(JSON.parse(line) as StoredLine);
  return out;
}
