// GET /metrics: Prometheus text, open or behind a bearer token (SLIPWAY_METRICS_TOKEN).
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { MetricsEndpoint } from "../metrics/registry.ts";

export interface MetricsRouteOptions {
  endpoint: MetricsEndpoint;
  token?: string;
  log: Logger;
}

/** Compares digests, so neither the token's length nor a matching prefix shows in the timing. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/i.exec(header ?? "");
  if (!m) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1]!.trim()), digest(token));
}

export function metricsHandler(opts: MetricsRouteOptions) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (opts.token !== undefined && !bearerMatches(req.headers.authorization, opts.token)) {
      return reply.code(401).header("www-authenticate", 'Bearer realm="slipway metrics"').send({ error: "a valid bearer token is required" });
    }
    try {
      const body = await opts.endpoint.scrape();
      return reply.code(200).header("content-type", opts.endpoint.contentType).send(body);
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, "metrics scrape failed");
      return reply.code(503).send({ error: "metrics unavailable: Redis is unreachable" });
    }
  };
}
