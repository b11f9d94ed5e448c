// /api/v1 (SPEC §9): the audit trail, locks, runs and environments, as JSON, behind a bearer
// token. Every query goes through its schema first (query-schemas.ts); an error past that is
// logged and answered without detail, so no Redis message or stack ever reaches a caller.
import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { z } from "zod";
import { AUDIT_FIELDS, type AuditEvent } from "../../audit/event.ts";
import type { AuditFilter } from "../../state/audit-store.ts";
import type { ReadModel } from "../read-model.ts";
import { bearerAllowed } from "./auth.ts";
import { registerRunLogRoute, type RunLogSource } from "./run-log-route.ts";
import { isUnderway } from "../../queue/run-list.ts";
import { auditQuery, describeIssues, encodeCursor, deadLettersQuery, environmentsQuery, lockParams, locksQuery, runsQuery } from "./query-schemas.ts";

export const API_PREFIX = "/api/v1";

export interface ApiDeps {
  read: ReadModel;
  /** SLIPWAY_API_TOKEN; absent: every call is refused. */
  token?: string;
  log: Logger;
  /** SLIPWAY_AUDIT; false: `GET /audit` answers 404 saying the trail is off. Default true. */
  auditEnabled?: boolean;
  /** Run logs (src/logs/): `GET /runs/:id/log`, and `log: true` on the runs that have one. */
  runLogs?: RunLogSource;
  /** A console session (SPEC §9: bearer or session): who it is and the repositories they see. */
  session?: (req: FastifyRequest) => Promise<SessionAccess | undefined>;
}

/** A console session's view: only these repositories (lower-case OWNER/NAME → may write). */
export interface SessionAccess {
  login: string;
  repos: Map<string, { canWrite: boolean }>;
}

/** The session behind a request, when it came with one instead of the bearer token. */
const sessions = new WeakMap<FastifyRequest, SessionAccess>();
const visible = (req: FastifyRequest, repo: string | undefined) => {
  const s = sessions.get(req);
  return !s || (repo !== undefined && s.repos.has(repo.toLowerCase()));
};

/** The answer of `GET /audit` with SLIPWAY_AUDIT=off: an empty page would read as "nothing happened". */
export const AUDIT_OFF = { error: "the audit trail is off (SLIPWAY_AUDIT=off): nothing is recorded" } as const;

/** The routes, as a plugin to register under API_PREFIX. */
export function apiRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (api) => {
    api.addHook("onRequest", async (req, reply) => {
      if (bearerAllowed(req.headers.authorization, deps.token)) return;
      const session = req.headers.authorization === undefined ? await deps.session?.(req) : undefined;
      if (session) sessions.set(req, session);
      else {
        return reply.code(401).header("www-authenticate", 'Bearer realm="slipway"').send({ error: "unauthorized" });
      }
    });
    api.setErrorHandler((err, req, reply) => {
      deps.log.error({ err: (err as Error).message, url: req.routeOptions.url }, "API request failed");
      // Fastify's own client errors (a malformed URL) keep their 4xx; anything else is ours.
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: "bad request" });
      return reply.code(503).send({ error: "temporarily unavailable" });
    });

    api.get("/audit", async (req, reply) => {
      if (deps.auditEnabled === false) return reply.code(404).send(AUDIT_OFF);
      const q = parse(auditQuery, req.query, reply);
      if (!q) return reply;
      const filter: AuditFilter = {
        ...(q.repo ? { repo: q.repo } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.since !== undefined ? { since: q.since } : {}),
        ...(q.until !== undefined ? { until: q.until } : {}),
        ...(q.cursor ? { before: q.cursor } : {}),
      };
      if (q.repo && !visible(req, q.repo)) return reply.code(404).send({ error: "no such repository" });
      const format = q.format ?? exportFormat(req);
      if (format) return sendExport(reply, format, onlyVisible(req, deps.read.auditExport(filter)));
      const page = await deps.read.auditPage(filter, q.limit ?? 50);
      return { events: page.events.filter((e) => visible(req, e.repo)), next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null };
    });

    api.get("/locks", async (req, reply) => {
      const q = parse(locksQuery, req.query, reply);
      if (!q) return reply;
      return { locks: (await deps.read.locks(q.repo)).filter((l) => visible(req, l.repo)) };
    });

    // The project name may hold `/`: the rest of the path is the project.
    api.delete("/locks/:owner/:name/*", async (req, reply) => {
      const raw = req.params as Record<string, string>;
      const p = parse(lockParams, { owner: raw.owner, name: raw.name, project: raw["*"] }, reply);
      if (!p) return reply;
      const session = sessions.get(req);
      if (session) {
        const access = session.repos.get(`${p.owner}/${p.name}`.toLowerCase());
        if (!access) return reply.code(404).send({ error: `${p.owner}/${p.name} ${p.project} is not locked` });
        if (!access.canWrite) return reply.code(403).send({ error: `releasing a lock needs write permission on ${p.owner}/${p.name}` });
      }
      const by = session ? session.login : "api";
      const released = await deps.read.releaseLock({ owner: p.owner, name: p.name }, p.project, by, session ? "console" : "api");
      if (!released) return reply.code(404).send({ error: `${p.owner}/${p.name} ${p.project} is not locked` });
      // The release, the audit event and the comment on the pull request happen in a job.
      return reply.code(202).send({ releasing: released });
    });

    api.get("/runs", async (req, reply) => {
      const q = parse(runsQuery, req.query, reply);
      if (!q) return reply;
      const runs = (await deps.read.runs(q)).filter((r) => visible(req, r.repo));
      const logged = (await deps.runLogs?.existing(runs.map((r) => r.id))) ?? new Set<string>();
      return { runs: runs.map((r) => (logged.has(r.id) ? { ...r, log: true } : r)) };
    });

    if (deps.runLogs) {
      const logs = deps.runLogs;
      // A session reads only its repositories' logs; another's is a 404 like a run that never was.
      // A run that has not printed yet is known by its job, which names the repository.
      api.addHook("preHandler", async (req, reply) => {
        if (!sessions.has(req) || !req.routeOptions.url?.endsWith("/runs/:id/log")) return;
        const id = (req.params as { id: string }).id;
        const repo = (await logs.meta(id))?.repo ?? (await deps.read.run(id))?.repo;
        if (repo !== undefined && !visible(req, repo)) return reply.code(404).send({ error: "no log for this run" });
      });
      registerRunLogRoute(api, logs, (id) => async () => isUnderway(await deps.read.run(id)));
    }

    // Intake entries that kept failing to become jobs while Redis answered (SPEC §10).
    api.get("/dead-letters", async (req, reply) => {
      // Operators' view of every repository's intake: the bearer token only.
      if (sessions.has(req)) return reply.code(403).send({ error: "dead letters need the API token" });
      const q = parse(deadLettersQuery, req.query, reply);
      if (!q) return reply;
      return { dead_letters: await deps.read.deadLetters(q.limit ?? 100) };
    });

    api.get("/environments", async (req, reply) => {
      const q = parse(environmentsQuery, req.query, reply);
      if (!q) return reply;
      if (!visible(req, q.repo)) return reply.code(404).send({ error: "no such repository" });
      return { repo: q.repo, environments: await deps.read.environments(q.repo) };
    });
  };
}

async function* onlyVisible(req: FastifyRequest, events: AsyncGenerator<AuditEvent>): AsyncGenerator<AuditEvent> {
  for await (const e of events) if (visible(req, e.repo)) yield e;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, reply: FastifyReply): z.output<S> | undefined {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  void reply.code(400).send({ error: describeIssues(result.error) });
  return undefined;
}

function exportFormat(req: FastifyRequest): "csv" | "ndjson" | undefined {
  const accept = req.headers.accept ?? "";
  if (/\btext\/csv\b/i.test(accept)) return "csv";
  if (/\bapplication\/x-ndjson\b/i.test(accept)) return "ndjson";
  return undefined;
}

function sendExport(reply: FastifyReply, format: "csv" | "ndjson", events: AsyncGenerator<AuditEvent>) {
  if (format === "ndjson") {
    const lines = Readable.from(
      (async function* () {
        for await (const e of events) yield `${JSON.stringify(e)}\n`;
      })(),
    );
    return reply.type("application/x-ndjson").send(lines);
  }
  // escape_formulas: a reason or a login starting with `=`, `+`, `-` or `@` must not run as a
  // formula in the spreadsheet the export is opened in.
  const csv = stringify({ header: true, columns: [...AUDIT_FIELDS], escape_formulas: true });
  const source = Readable.from(events);
  source.on("error", (err) => csv.destroy(err));
  source.pipe(csv);
  return reply.type("text/csv; charset=utf-8").header("content-disposition", 'attachment; filename="slipway-audit.csv"').send(csv);
}
