// Fastify with the Probot webhook middleware mounted, plus health and readiness routes.
import Fastify, { LogController, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createNodeMiddleware, type Probot } from "probot";
import type { IntentSink } from "../domain/intent.ts";
import { handleWebhook } from "../intake/intake.ts";
import type { MetricsEndpoint } from "../metrics/registry.ts";
import { metricsHandler } from "./metrics-route.ts";
import { API_PREFIX, apiRoutes, type ApiDeps } from "./api/api-routes.ts";

export const WEBHOOK_PATH = "/api/github/webhooks";

export interface ServerDeps {
  probot: Probot;
  sink: IntentSink;
  log: Logger;
  /** True when Redis answers: readiness follows the one thing the server needs. */
  ready: () => Promise<boolean>;
  /** GET /metrics, and a record of each delivery's answer; absent in tests that need neither. */
  metrics?: {
    endpoint: MetricsEndpoint;
    token?: string;
    delivery(event: string | string[] | undefined, status: number, seconds: number): void;
  };
  /** /api/v1 (server/api/); absent in tests of the webhook path alone. */
  api?: ApiDeps;
  /** The operations console (src/console/): registered before /api/v1, whose session it provides. */
  console?: { register(fastify: FastifyInstance): Promise<void> };
  /**
   * True once the process shuts down (queue/shutdown.ts): new deliveries get 503, so GitHub records
   * a failed delivery that redelivery fetches back, and readiness fails; those in flight finish.
   */
  stopping?: () => boolean;
}

export async function buildServer(deps: ServerDeps) {
  // Per-request lines would double the log volume of every delivery; intake logs what matters.
  // Fastify's own lines (errors) go to the process logger as is, without a child logger per request.
  const fastify = Fastify({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
  });
  const middleware = await createNodeMiddleware(
    (app) => {
      app.onAny(async (context) => {
        await handleWebhook({ id: context.id, name: context.name, payload: context.payload }, deps.sink, deps.log);
      });
    },
    { probot: deps.probot, webhooksPath: WEBHOOK_PATH },
  );

  await fastify.register(async (scope) => {
    // The signature covers the exact bytes GitHub sent: keep the body as a string, unparsed.
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
    const metrics = deps.metrics;
    if (metrics) {
      // From the request's arrival (before the body is read) to the answer's last byte.
      // A callback hook, not an async one: no promise per delivery on the hot path.
      scope.addHook("onRequest", (req, reply, done) => {
        const started = process.hrtime.bigint();
        reply.raw.once("finish", () => metrics.delivery(req.headers["x-github-event"], reply.raw.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
        done();
      });
    }
    scope.post(WEBHOOK_PATH, { bodyLimit: 25 * 1024 * 1024 }, async (req, reply) => {
      if (deps.stopping?.()) return reply.code(503).send({ error: "Slipway is shutting down: redeliver later" });
      const body = req.body as string;
      // A correctly signed JSON body that is not an object (null, 42, []) would surface as a 500
      // from the middleware; it is the sender's fault, so answer 400. Checking the first character
      // is enough: a body that starts like an object but is not valid JSON gets the middleware's
      // own 400 ("Invalid JSON"), and the 25 MB body is not parsed twice on the hot path.
      if (!/^\s*\{/.test(body)) return reply.code(400).send({ error: "body is not a JSON object" });
      (req.raw as unknown as { body: string }).body = body;
      reply.hijack();
      await middleware(req.raw, reply.raw);
    });
  });

  // On the root instance (its logger type is pino's, not Fastify's base one): the session cookie
  // it registers is read by /api/v1 too.
  if (deps.console) await deps.console.register(fastify as unknown as FastifyInstance);
  if (deps.api) await fastify.register(apiRoutes(deps.api), { prefix: API_PREFIX });

  fastify.get("/healthz", async () => ({ status: "ok" }));
  fastify.get("/readyz", async (_req, reply) => {
    if (deps.stopping?.()) return reply.code(503).send({ status: "shutting down" });
    const ok = await deps.ready();
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "redis unreachable" });
  });
  if (deps.metrics) fastify.get("/metrics", metricsHandler({ endpoint: deps.metrics.endpoint, token: deps.metrics.token, log: deps.log }));
  return fastify;
}
