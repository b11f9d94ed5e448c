// The floor of `ack`: a Probot app on Fastify that verifies the webhook signature and does
// nothing else — mounted exactly as src/server/build-server.ts mounts Slipway's, with no handler.
// Run as a child process by bench/ack.ts; prints one JSON line with its URL once listening.
// Env: WEBHOOK_SECRET, APP_ID, PRIVATE_KEY (Probot requires them), PORT (0 = any).
import Fastify from "fastify";
import { pino } from "pino";
import { createNodeMiddleware, Probot } from "probot";

const WEBHOOK_PATH = "/api/github/webhooks";
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`bare-probot-app: ${name} is not set`);
  return v;
};

const log = pino({ level: "info" });
const probot = new Probot({ appId: env("APP_ID"), privateKey: env("PRIVATE_KEY"), secret: env("WEBHOOK_SECRET"), log: log.child({ name: "probot" }) });
const middleware = await createNodeMiddleware(() => {}, { probot, webhooksPath: WEBHOOK_PATH });
const fastify = Fastify({ logger: false });
await fastify.register(async (scope) => {
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
  scope.post(WEBHOOK_PATH, { bodyLimit: 25 * 1024 * 1024 }, async (req, reply) => {
    (req.raw as unknown as { body: string }).body = req.body as string;
    reply.hijack();
    await middleware(req.raw, reply.raw);
  });
});
const url = await fastify.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
log.info({ url }, "bare probot app listening");
const stop = () => void fastify.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
