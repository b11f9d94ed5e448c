// What a run's log is to the code that shows it (console pages, the Server-Sent Events route):
// redacted lines, each with a cursor a client can resume from. Workers write logs through
// RunLogWriter (implemented next to this file); servers read them through RunLogReader, from
// Redis, so any server can show a log that any worker on any machine is printing.

/** One redacted line of a run's log. `id` orders lines and is what SSE sends as the event id. */
export interface RunLogEntry {
  id: string;
  line: string;
  project?: string;
  phase?: string;
}

export interface RunLogChunk {
  entries: RunLogEntry[];
  /** The run has finished: nothing will follow the last entry. */
  ended: boolean;
}

/** Which run a log belongs to: the console decides from `repo` who may read it. */
export interface RunLogMeta {
  runId: string;
  repo: string; // OWNER/NAME
  pull?: number;
  pullTitle?: string;
  sha?: string;
  kind: string;
  startedAt: string; // ISO 8601
  endedAt?: string;
}

export interface RunLogReader {
  meta(runId: string): Promise<RunLogMeta | undefined>;
  /**
   * Entries after `cursor` (from the first line without one), at most `max`. When there are none
   * yet and the run has not ended, waits up to `waitMs` for more before answering, or until
   * `signal` aborts (a client that went away). A cursor it did not give out is an error
   * (RunLogCursorError in redis-run-log-reader.ts).
   */
  read(runId: string, cursor: string | undefined, opts: { max: number; waitMs: number; signal?: AbortSignal }): Promise<RunLogChunk>;
}
