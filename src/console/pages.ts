// The console's pages (SPEC §8): environments, locks, runs, a run with its log, the audit trail.
// Every page needs a session; every repository outside the viewer's is a 404, never a 403, so
// the console does not confirm that a repository it will not show exists.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { z } from "zod";
import { AUDIT_KINDS } from "../audit/event.ts";
import type { RunLogEntry, RunLogMeta, RunLogReader } from "../logs/run-log.ts";
import { sendRunLogText, streamRunLog, wantsEventStream } from "../server/api/run-log-route.ts";
import type { ReadModel, RunView } from "../server/read-model.ts";
import { auditQuery, describeIssues, encodeCursor, repoParam } from "../server/api/query-schemas.ts";
import type { ConsoleActions } from "./actions.ts";
import type { Viewer } from "./console-server.ts";
import { environmentRows, type EnvironmentRow } from "./environment-rows.ts";
import { ShortCache } from "./short-cache.ts";
import { runGroups, runDuration, triggerText } from "./run-rows.ts";
import { isUnderway } from "../queue/run-list.ts";
import { sendPage, securityHeaders } from "./render.ts";
import { sameToken } from "./session.ts";

export interface PageDeps {
  viewer(req: FastifyRequest): Promise<Viewer | undefined>;
  read: ReadModel;
  actions: ConsoleActions;
  logs?: RunLogReader;
  githubBaseUrl: string;
  log: Logger;
}

/** Newest audit events read per repository for the environments page: approvals and applies of the deploys shown. */
const RECENT_EVENTS = 100;
const RUN_ID = /^[A-Za-z0-9_.@/=+-]{1,400}$/;
const lockForm = z.object({
  _csrf: z.string(),
  repo: repoParam,
  project: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_./-]+$/),
});
const NOTICES: Record<string, string> = {
  released: "The lock is being released; the pull request is told who released it.",
  cancelled: "The run was cancelled; the pull request is told who cancelled it.",
  "not-queued": "That run is no longer queued: it has started or finished.",
  "not-locked": "That project is no longer locked.",
};

export function registerPages(scope: FastifyInstance, d: PageDeps): void {
  const page = (handler: (req: FastifyRequest, reply: FastifyReply, v: Viewer) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    const viewer = await d.viewer(req);
    if (!viewer) return securityHeaders(reply).redirect("/login", 302);
    return handler(req, reply, viewer);
  };
  const user = (v: Viewer) => ({ login: v.login, csrf: v.csrf });
  const notFound = (reply: FastifyReply, v: Viewer) =>
    sendPage(reply, "error", { title: "Not found", message: "There is nothing here, or nothing you can see.", user: user(v) }, 404);
  const environmentsOf = new ShortCache<EnvironmentRow[]>(1000);
  const notice = (req: FastifyRequest) => NOTICES[String((req.query as Record<string, unknown>).done ?? "")];

  scope.get(
    "/",
    page(async (_req, reply, v) => {
      const repos = await Promise.all(
        [...v.repos.values()].map(async (access) => {
          const rows = await environmentsOf.get(access.repo.toLowerCase(), async () => {
            // One read of the repository's newest events gives both the approvers and the apply times.
            const [envs, recent] = await Promise.all([d.read.environments(access.repo), d.read.auditPage({ repo: access.repo }, RECENT_EVENTS)]);
            return environmentRows(envs, recent.events);
          });
          return { repo: access.repo, anchor: access.repo.replace(/[^A-Za-z0-9_-]/g, "-"), rows };
        }),
      );
      return sendPage(reply, "environments", { title: "Environments", nav: "environments", user: user(v), repos, github: d.githubBaseUrl });
    }),
  );

  scope.get(
    "/locks",
    page(async (req, reply, v) => {
      const locks = (await d.read.locks())
        .filter((l) => v.repos.has(l.repo.toLowerCase()))
        .map((l) => ({ ...l, canWrite: v.repos.get(l.repo.toLowerCase())!.canWrite }));
      return sendPage(reply, "locks", { title: "Locks", nav: "locks", user: user(v), locks, notice: notice(req), github: d.githubBaseUrl });
    }),
  );

  scope.post(
    "/locks/release",
    page(async (req, reply, v) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!sameToken(body._csrf, v.csrf)) return refused(reply, v, "This form is out of date or did not come from this console.");
      const form = lockForm.safeParse(body);
      if (!form.success) return sendPage(reply, "error", { title: "Bad request", message: describeIssues(form.error), user: user(v) }, 400);
      const access = v.repos.get(form.data.repo.toLowerCase());
      if (!access) return notFound(reply, v);
      if (!access.canWrite) return refused(reply, v, `Releasing a lock needs write permission on ${access.repo}.`);
      const [owner, name] = access.repo.split("/") as [string, string];
      const released = await d.actions.releaseLock({ owner, name }, form.data.project, v.login);
      return securityHeaders(reply).redirect(`/locks?done=${released ? "released" : "not-locked"}`, 303);
    }),
  );

  scope.get(
    "/runs",
    page(async (req, reply, v) => {
      const runs = (await d.read.runs({})).filter((r) => r.repo && v.repos.has(r.repo.toLowerCase()));
      const groups = runGroups(runs, (r) => v.repos.get(r.repo!.toLowerCase())!.canWrite);
      return sendPage(reply, "runs", { title: "Runs", nav: "runs", user: user(v), groups, notice: notice(req), github: d.githubBaseUrl });
    }),
  );

  const visibleRun = async (id: string, v: Viewer): Promise<RunView | undefined> => {
    if (!RUN_ID.test(id)) return undefined;
    // The queue forgets finished jobs after a day; the log's own record may outlive it.
    const run = (await d.read.run(id)) ?? runOfLog(await d.logs?.meta(id));
    return run?.repo && v.repos.has(run.repo.toLowerCase()) ? run : undefined;
  };

  scope.post(
    "/runs/:id/cancel",
    page(async (req, reply, v) => {
      const run = await visibleRun((req.params as { id: string }).id, v);
      if (!run) return notFound(reply, v);
      if (!sameToken((req.body as Record<string, unknown> | undefined)?._csrf, v.csrf))
        return refused(reply, v, "This form is out of date or did not come from this console.");
      if (!v.repos.get(run.repo!.toLowerCase())!.canWrite) return refused(reply, v, `Cancelling a run needs write permission on ${run.repo}.`);
      const cancelled = await d.actions.cancelRun(run, v.login);
      return securityHeaders(reply).redirect(`/runs?done=${cancelled ? "cancelled" : "not-queued"}`, 303);
    }),
  );

  scope.get(
    "/runs/:id",
    page(async (req, reply, v) => {
      const id = (req.params as { id: string }).id;
      const run = await visibleRun(id, v);
      if (!run) return notFound(reply, v);
      const log = d.logs ? await readWholeLog(d.logs, id) : undefined;
      // Queued, or started without a line yet: the page waits for its first line.
      const awaiting = d.logs !== undefined && log === undefined && isUnderway(run);
      return sendPage(reply, "run", {
        title: `${run.kind} ${run.repo ?? ""}`,
        nav: "runs",
        user: user(v),
        script: "live-log.js",
        run,
        github: d.githubBaseUrl,
        trigger: triggerText(run),
        duration: runDuration(run),
        logAvailable: log !== undefined,
        awaiting,
        lines: log?.entries ?? [],
        ended: log?.ended ?? !awaiting,
        lastId: log?.entries.at(-1)?.id ?? "",
        streamUrl: `/runs/${encodeURIComponent(id)}/log`,
      });
    }),
  );

  // The live log behind the session: the same stream as /api/v1/runs/:id/log. The page passes the
  // last line it rendered as `after`; a reconnecting EventSource sends Last-Event-ID instead.
  scope.get(
    "/runs/:id/log",
    page(async (req, reply, v) => {
      const id = (req.params as { id: string }).id;
      const noLog = () => reply.code(404).send({ error: "no log for this run" });
      if (!d.logs || !RUN_ID.test(id)) return noLog();
      const meta = await d.logs.meta(id);
      if (meta && !v.repos.has(meta.repo.toLowerCase())) return noLog();
      // No line yet: a run the queues know, of one of the person's repositories, is waited for.
      if (!meta && !(await visibleRun(id, v))) return noLog();
      const underway = async () => isUnderway(await d.read.run(id));
      const after = (req.query as Record<string, unknown>).after;
      if (req.headers["last-event-id"] === undefined && typeof after === "string" && after !== "") req.headers["last-event-id"] = after;
      if (!wantsEventStream(req)) return sendRunLogText(reply, d.logs, id, underway);
      return streamRunLog(req, reply, d.logs, id, { underway });
    }),
  );

  scope.get(
    "/audit",
    page(async (req, reply, v) => {
      // Empty form fields mean "any": drop them before the API's strict schema sees them.
      const raw = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).filter(([, value]) => value !== ""));
      const q = auditQuery.safeParse(raw);
      const shown = Object.fromEntries(Object.entries(raw).filter(([k]) => ["repo", "actor", "kind", "since", "until"].includes(k))) as Record<string, string>;
      const base = {
        title: "Audit trail",
        nav: "audit" as const,
        user: user(v),
        kinds: AUDIT_KINDS,
        repoChoices: [...v.repos.values()].map((r) => r.repo),
        filter: shown,
      };
      const exportLink = (format: string) => `/api/v1/audit?${new URLSearchParams({ ...shown, format }).toString()}`;
      const links = { exportCsv: exportLink("csv"), exportNdjson: exportLink("ndjson") };
      if (!q.success) return sendPage(reply, "audit", { ...base, ...links, events: [], error: describeIssues(q.error) }, 400);
      if (q.data.repo && !v.repos.has(q.data.repo.toLowerCase())) return notFound(reply, v);
      const { limit, cursor, ...filter } = q.data;
      const pageOf = await d.read.auditPage({ ...filter, ...(cursor ? { before: cursor } : {}) }, limit ?? 50);
      const events = pageOf.events.filter((e) => v.repos.has(e.repo.toLowerCase()));
      const next = pageOf.nextCursor ? `/audit?${new URLSearchParams({ ...shown, cursor: encodeCursor(pageOf.nextCursor) }).toString()}` : undefined;
      return sendPage(reply, "audit", { ...base, ...links, events, next });
    }),
  );
}

function runOfLog(meta: RunLogMeta | undefined): RunView | undefined {
  if (!meta) return undefined;
  return {
    id: meta.runId,
    kind: meta.kind,
    state: meta.endedAt ? "completed" : "running",
    repo: meta.repo,
    ...(meta.pull !== undefined ? { pull: meta.pull } : {}),
    ...(meta.pullTitle ? { pull_title: meta.pullTitle } : {}),
    ...(meta.sha ? { sha: meta.sha } : {}),
    queued_at: meta.startedAt,
    started_at: meta.startedAt,
    ...(meta.endedAt ? { finished_at: meta.endedAt } : {}),
  };
}

function refused(reply: FastifyReply, v: Viewer, message: string): FastifyReply {
  return sendPage(reply, "error", { title: "Refused", message, user: { login: v.login, csrf: v.csrf } }, 403);
}

/** The log as far as it is written, page by page; `ended` tells whether more will come. */
async function readWholeLog(logs: RunLogReader, id: string): Promise<{ entries: RunLogEntry[]; ended: boolean } | undefined> {
  if (!(await logs.meta(id))) return undefined;
  const entries: RunLogEntry[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const chunk = await logs.read(id, cursor, { max: 5000, waitMs: 0 });
    entries.push(...chunk.entries);
    if (chunk.ended || chunk.entries.length === 0) return { entries, ended: chunk.ended };
    cursor = chunk.entries.at(-1)!.id;
  }
  return { entries, ended: false };
}
