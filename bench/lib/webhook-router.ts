// One webhook target for the simulator that hands each delivery to the Slipway process serving its
// repository: two processes (each on its own prefix) then share one simulator, and GitHub's echoes
// of each one's writes reach it, as in production. Only the echoes pass here; a benchmark sends
// the deliveries it times straight to the process.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface WebhookRouter {
  url: string;
  close(): Promise<void>;
}

/** `routes`: repository full name (lowercase) → the process's webhook URL. */
export async function startWebhookRouter(routes: Map<string, string>): Promise<WebhookRouter> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let repo: string | undefined;
      try {
        repo = (JSON.parse(body.toString("utf8")) as { repository?: { full_name?: string } }).repository?.full_name?.toLowerCase();
      } catch {
        repo = undefined;
      }
      const target = repo === undefined ? undefined : routes.get(repo);
      if (!target) return void res.writeHead(202).end();
      fetch(target, { method: "POST", headers: forwardable(req.headers), body })
        .then(async (answer) => res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || ["host", "connection", "content-length", "transfer-encoding"].includes(k)) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
