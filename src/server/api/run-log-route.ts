// GET /api/v1/runs/:id/log: a run's log as Server-Sent Events (Accept: text/event-stream) while
// it runs and after, or whole as text/plain. The SSE handler is exported so the console can
// serve the same stream behind its own session check.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { RunLogClosedError, RunLogCursorError } from "../../logs/redis-run-log-reader.ts";
import type { RunLogEntry, RunLogReader } from "../../logs/run-log.ts";

/** Proxies and load balancers close a stream idle for ~30-60 s: a comment goes out before that. */
export const HEARTBEAT_MS = 15_000;
const LINES_PER_READ = 500;

export type RunLogSource = RunLogReader & { existing(runIds: string[]): Promise<Set<string>> };

/** Whether a run without a log yet may still print one: its job is queued or running. */
export type RunUnderway = () => Promise<boolean>;

/** `underwayOf` answers for runs the queues know (ReadModel.run); without it only logs are known. */
export function registerRunLogRoute(api: FastifyInstance, reader: RunLogReader, underwayOf?: (runId: string) => RunUnderway): void {
  api.get("/runs/:id/log", async (req, reply) => {
    const runId = (req.params as { id: string }).id;
    const underway = underwayOf?.(runId);
    if (wantsEventStream(req)) return streamRunLog(req, reply, reader, runId, { ...(underway ? { underway } : {}) });
    return sendRunLogText(reply, reader, runId, underway);
  });
}

/**
 * `log`: the run printed; `awaiting`: not yet, but its job is queued or running; `none`: neither.
 * The queue is asked before the log's meta is read again: a job that has finished wrote its
 * log's meta before it finished, so a finished job's first line is never missed.
 */
async function logPresence(reader: RunLogReader, runId: string, underway?: RunUnderway): Promise<"log" | "awaiting" | "none"> {
  if (await reader.meta(runId)) return "log";
  if (!underway) return "none";
  const going = await underway();
  if (await reader.meta(runId)) return "log";
  return going ? "awaiting" : "none";
}

export function wantsEventStream(req: FastifyRequest): boolean {
  return /\btext\/event-stream\b/i.test(req.headers.accept ?? "");
}

/**
 * Streams the log from after `Last-Event-ID` (each event's id is its line's cursor) until the
 * run ends (`event: end`), with a heartbeat comment every HEARTBEAT_MS. A client that goes away
 * stops the read at once. A run that has not printed yet (`underway`) streams from its first
 * line, or ends if it finishes without one. Unknown run: 404; a Last-Event-ID this server never
 * sent: 400.
 */
export async function streamRunLog(
  req: FastifyRequest,
  reply: FastifyReply,
  reader: RunLogReader,
  runId: string,
  opts: { heartbeatMs?: number; underway?: RunUnderway } = {},
): Promise<FastifyReply> {
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  let presence = await logPresence(reader, runId, opts.underway);
  if (presence === "none") return reply.code(404).send({ error: "no log for this run" });
  const header = req.headers["last-event-id"];
  let cursor = (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
  let chunk;
  try {
    chunk = await reader.read(runId, cursor, { max: LINES_PER_READ, waitMs: 0 });
  } catch (err) {
    if (err instanceof RunLogCursorError) return reply.code(400).send({ error: "Last-Event-ID is not a cursor of this log" });
    throw err;
  }
  reply.hijack();
  const res = reply.raw;
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    connection: "keep-alive",
  });
  res.write("retry: 2000\n\n");
  try {
    for (;;) {
      if (gone.signal.aborted) return reply;
      if (chunk.entries.length > 0) {
        await write(res, chunk.entries.map(sseEvent).join(""), gone.signal);
        cursor = chunk.entries.at(-1)!.id;
        presence = "log";
      } else if (!chunk.ended) {
        if (presence === "awaiting") presence = await logPresence(reader, runId, opts.underway);
        // Finished without printing a line: nothing will come.
        if (presence === "none") {
          res.end(`event: end\ndata: ${JSON.stringify({ endedAt: null })}\n\n`);
          return reply;
        }
        await write(res, ": heartbeat\n\n", gone.signal);
      }
      if (chunk.ended) {
        const meta = await reader.meta(runId);
        res.end(`event: end\ndata: ${JSON.stringify({ endedAt: meta?.endedAt ?? null })}\n\n`);
        return reply;
      }
      chunk = await reader.read(runId, cursor, { max: LINES_PER_READ, waitMs: heartbeatMs, signal: gone.signal });
    }
  } catch (err) {
    // Shutting down: the client's EventSource reconnects (to another server) and resumes.
    // The socket goes too: left idle in keep-alive it would hold up the server's close.
    if (err instanceof RunLogClosedError) {
      const socket = res.socket;
      res.end(() => socket?.destroy());
    } else {
      req.log.warn({ run: runId, err: (err as Error).message }, "run log stream failed");
      res.destroy();
    }
    return reply;
  }
}

/** The whole log so far (all of it once the run has ended), one line per line; empty before its first. */
export async function sendRunLogText(reply: FastifyReply, reader: RunLogReader, runId: string, underway?: RunUnderway): Promise<FastifyReply> {
  if ((await logPresence(reader, runId, underway)) === "none") return reply.code(404).send({ error: "no log for this run" });
  const body = Readable.from(
    (async function* () {
      let cursor: string | undefined;
      for (;;) {
        const chunk = await reader.read(runId, cursor, { max: LINES_PER_READ * 10, waitMs: 0 });
        if (chunk.entries.length === 0) return;
        yield chunk.entries.map((e) => `${e.line}\n`).join("");
        cursor = chunk.entries.at(-1)!.id;
      }
    })(),
  );
  return reply.type("text/plain; charset=utf-8").header("cache-control", "no-cache").send(body);
}

function sseEvent(e: RunLogEntry): string {
  // JSON keeps a line's own carriage returns from breaking the event framing.
  return `id: ${e.id}\ndata: ${JSON.stringify({ line: e.line, ...(e.project ? { project: e.project } : {}), ...(e.phase ? { phase: e.phase } : {}) })}\n\n`;
}

async function write(res: NodeJS.WritableStream, text: string, gone: AbortSignal): Promise<void> {
  if (res.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      gone.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    gone.addEventListener("abort", done, { once: true });
  });
}
