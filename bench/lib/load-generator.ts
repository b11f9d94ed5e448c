// A closed-loop HTTP load generator: `connections` keep-alive sockets, each sending its next
// request as soon as the previous answer is read, for a fixed time. Latency is from the request
// being written to the last byte of the answer. No dependency beyond node:http.
import { Agent, request } from "node:http";

export interface LoadRequest {
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  requests: number;
  ok: number;
  /** Non-2xx answers by status, and socket errors/timeouts by code. */
  errors: Record<string, number>;
  errorCount: number;
  /** Latencies of 2xx answers, ms. */
  latencies: number[];
  seconds: number;
}

export async function runLoad(opts: {
  url: string;
  connections: number;
  durationMs: number;
  next: () => LoadRequest;
  timeoutMs?: number;
  /** POST by default (webhooks); GET for pages. */
  method?: "GET" | "POST";
}): Promise<LoadResult> {
  const target = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  const result: LoadResult = { requests: 0, ok: 0, errors: {}, errorCount: 0, latencies: [], seconds: 0 };
  const fail = (why: string) => {
    result.errors[why] = (result.errors[why] ?? 0) + 1;
    result.errorCount++;
  };
  const once = (r: LoadRequest) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: opts.method ?? "POST",
          headers: { ...r.headers, "content-length": Buffer.byteLength(r.body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              result.ok++;
              result.latencies.push(performance.now() - started);
            } else fail(`HTTP ${status}`);
            resolve();
          });
          res.on("error", (e: NodeJS.ErrnoException) => {
            fail(e.code ?? "response error");
            resolve();
          });
        },
      );
      req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
      req.on("error", (e: NodeJS.ErrnoException) => {
        fail(e.code ?? "request error");
        resolve();
      });
      req.end(r.body);
    });

  const started = performance.now();
  const deadline = started + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < deadline) {
        result.requests++;
        await once(opts.next());
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}
