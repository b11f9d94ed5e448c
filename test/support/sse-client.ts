// A small Server-Sent Events client over node:http, for tests and the bench: events as they
// arrive (id, event, data, and comments such as heartbeats), and a way to hang up.
import { request, type IncomingMessage } from "node:http";

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: IncomingMessage["headers"];
  /** Resolves with the next event (or comment, as event "comment"); undefined once the stream closed. */
  next(): Promise<SseEvent | undefined>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      const queue: (SseEvent | undefined)[] = [];
      const takers: ((e: SseEvent | undefined) => void)[] = [];
      const push = (e: SseEvent | undefined) => {
        const take = takers.shift();
        if (take) take(e);
        else queue.push(e);
      };
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e = parseBlock(block);
          if (e) push(e);
        }
      });
      const closed = () => push(undefined);
      res.on("end", closed);
      res.on("close", closed);
      res.on("error", closed);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => takers.push(r))),
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

function parseBlock(block: string): SseEvent | undefined {
  const e: SseEvent = { event: "message", data: "" };
  const data: string[] = [];
  let any = false;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) return { event: "comment", data: line.slice(1).trim() };
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") e.id = value;
    else if (field === "event") e.event = value;
    else if (field === "data") data.push(value);
    else continue;
    any = true;
  }
  if (!any) return undefined;
  e.data = data.join("\n");
  return e;
}

/** Events until one satisfies `stop` (included); fails if the stream closes first. */
export async function eventsUntil(conn: SseConnection, stop: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for (;;) {
    const e = await conn.next();
    if (!e) throw new Error(`the stream closed after ${out.length} events`);
    out.push(e);
    if (stop(e)) return out;
  }
}
