// Webhook deliveries the benchmark sends itself: the simulator records each event with its exact
// bytes and signature even when no target is set, so PRs can be prepared first and their
// `pull_request.opened` fired later, all at once or one at a time, with the send time known.
import { Agent, request } from "node:http";
import type { Delivery, GitHubSimulator, PullInfo } from "../../test/support/github-simulator/index.ts";

export function findDelivery(sim: GitHubSimulator, pr: PullInfo, event: string, action?: string): Delivery {
  const found = sim.deliveries.find((d) => {
    if (d.event !== event || (action !== undefined && d.action !== action)) return false;
    const p = d.payload as { repository?: { full_name?: string }; pull_request?: { number?: number; head?: { sha?: string } }; after?: string };
    if (p.repository?.full_name?.toLowerCase() !== pr.repo.toLowerCase()) return false;
    return event === "push" ? p.after === pr.headSha : p.pull_request?.number === pr.number && p.pull_request?.head?.sha === pr.headSha;
  });
  if (!found) throw new Error(`no ${event}${action ? `.${action}` : ""} delivery recorded for ${pr.repo}#${pr.number}`);
  return found;
}

export interface Sent {
  status: number;
  /** Date.now() when the request started: the simulator's call records use the same clock. */
  sentAt: number;
  ms: number;
}

export function createDeliveryClient(url: string, sockets = 32) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const target = new URL(url);
  const post = (d: Pick<Delivery, "headers" | "body">): Promise<Sent> =>
    new Promise((resolve, reject) => {
      const sentAt = Date.now();
      const started = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { ...d.headers, "content-length": Buffer.byteLength(d.body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, sentAt, ms: performance.now() - started }));
        },
      );
      req.setTimeout(15_000, () => req.destroy(new Error("delivery timed out after 15 s")));
      req.on("error", reject);
      req.end(d.body);
    });
  return { post, close: () => agent.destroy() };
}
