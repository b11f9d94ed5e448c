// Check runs and commit statuses. Output size limits (65,535 characters, 50 annotations per
// request) are in GitHub's request schema, so the validator refuses them before we get here.
import { failure, intParam, notFound, ok, paginate, validationFailed, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { resolveCommit } from "../git.ts";
import { serializeRepo } from "../serialize-core.ts";
import { serializeCheckRun, serializeStatus } from "../serialize-ci.ts";
import { nowIso, type CheckRunState, type RepoState, type StatusState } from "../state.ts";
import { checkRunPayload } from "../webhook-payloads.ts";
import { advanceQueue } from "../ops-merge-queue.ts";

/** A check or status may be what the merge queue waits for: it looks again once the answer is sent. */
function queueLooks(core: SimCore, repo: RepoState): void {
  if (repo.mergeQueueChecks) core.after(repo.fullName, () => advanceQueue(core, repo));
}

function applyOutput(run: CheckRunState, output: Record<string, unknown> | undefined): void {
  if (!output) return;
  if (typeof output.title === "string") run.output.title = output.title;
  if (typeof output.summary === "string") run.output.summary = output.summary;
  if (typeof output.text === "string") run.output.text = output.text;
  // Annotations accumulate across updates, as GitHub documents.
  if (Array.isArray(output.annotations)) run.output.annotations.push(...output.annotations);
}

function applyStatus(run: CheckRunState, b: Record<string, unknown>): string | undefined {
  if (typeof b.conclusion === "string") {
    run.conclusion = b.conclusion;
    run.status = "completed";
  } else if (typeof b.status === "string") {
    run.status = b.status as CheckRunState["status"];
  }
  if (run.status === "completed" && !run.conclusion) return 'Invalid request.\n\n"conclusion" wasn\'t supplied.';
  if (run.status === "completed") run.completedAt = typeof b.completed_at === "string" ? b.completed_at : (run.completedAt ?? nowIso());
  if (typeof b.started_at === "string") run.startedAt = b.started_at;
  return undefined;
}

function findRun(req: ApiRequest, core: SimCore): CheckRunState | undefined {
  const run = core.state.checkRuns.get(intParam(req.params.check_run_id) ?? -1);
  return run && run.repo === req.repo.fullName ? run : undefined;
}

export const checkRoutes: Routes = {
  "checks/create": {
    auth: "repo",
    handle: async (req, core) => {
      const b = req.body as Record<string, unknown>;
      const sha = await resolveCommit(req.repo.gitDir, String(b.head_sha));
      if (!sha || sha !== b.head_sha) return validationFailed(`No commit found for SHA: ${String(b.head_sha)}`);
      const run: CheckRunState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        headSha: sha,
        name: String(b.name),
        status: "queued",
        conclusion: null,
        output: { title: null, summary: null, text: null, annotations: [] },
        startedAt: nowIso(),
        completedAt: null,
        externalId: typeof b.external_id === "string" ? b.external_id : null,
        detailsUrl: typeof b.details_url === "string" ? b.details_url : null,
        actions: Array.isArray(b.actions) ? b.actions : [],
      };
      const problem = applyStatus(run, b);
      if (problem) return validationFailed(problem);
      applyOutput(run, b.output as Record<string, unknown> | undefined);
      core.state.checkRuns.set(run.id, run);
      if (core.echoAppEvents) core.echo([() => ["check_run", checkRunPayload(core, "created", run)]]);
      if (run.status === "completed") queueLooks(core, req.repo);
      return ok(serializeCheckRun(run, req.repo, core.app, core.urls), 201);
    },
  },
  "checks/update": {
    auth: "repo",
    handle: (req, core) => {
      const run = findRun(req, core);
      if (!run) return notFound();
      const b = req.body as Record<string, unknown>;
      const wasCompleted = run.status === "completed";
      const before = { ...run, output: { ...run.output, annotations: [...run.output.annotations] } };
      if (typeof b.name === "string") run.name = b.name;
      if (typeof b.details_url === "string") run.detailsUrl = b.details_url;
      if (typeof b.external_id === "string") run.externalId = b.external_id;
      const problem = applyStatus(run, b);
      if (problem) {
        Object.assign(run, before);
        return validationFailed(problem);
      }
      applyOutput(run, b.output as Record<string, unknown> | undefined);
      if (core.echoAppEvents && !wasCompleted && run.status === "completed") core.echo([() => ["check_run", checkRunPayload(core, "completed", run)]]);
      if (!wasCompleted && run.status === "completed") queueLooks(core, req.repo);
      return ok(serializeCheckRun(run, req.repo, core.app, core.urls));
    },
  },
  "checks/get": {
    auth: "repo",
    handle: (req, core) => {
      const run = findRun(req, core);
      return run ? ok(serializeCheckRun(run, req.repo, core.app, core.urls)) : notFound();
    },
  },
  "checks/list-for-ref": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = await resolveCommit(req.repo.gitDir, req.params.ref ?? "");
      if (!sha) return validationFailed(`No commit found for SHA: ${req.params.ref}`);
      const name = req.query.get("check_name");
      const status = req.query.get("status");
      let runs = [...core.state.checkRuns.values()].filter(
        (r) => r.repo === req.repo.fullName && r.headSha === sha && (!name || r.name === name) && (!status || r.status === status),
      );
      runs.sort((a, b) => b.id - a.id);
      // filter=latest (the default) keeps only the most recent run of each name.
      if ((req.query.get("filter") ?? "latest") === "latest") {
        const seen = new Set<string>();
        runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name));
      }
      const { page, headers } = paginate(runs, req, core);
      return ok({ total_count: runs.length, check_runs: page.map((r) => serializeCheckRun(r, req.repo, core.app, core.urls)) }, 200, headers);
    },
  },
  "repos/create-commit-status": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = await resolveCommit(req.repo.gitDir, req.params.sha ?? "");
      if (!sha || sha !== req.params.sha) return validationFailed(`No commit found for SHA: ${req.params.sha}`);
      const b = req.body as Record<string, unknown>;
      const context = typeof b.context === "string" ? b.context : "default";
      if (core.state.statuses.filter((s) => s.repo === req.repo.fullName && s.sha === sha && s.context === context).length >= 1000) {
        return validationFailed("Validation Failed", [
          { resource: "Status", code: "custom", message: "This SHA and context has reached the maximum number of statuses." },
        ]);
      }
      const now = nowIso();
      const s: StatusState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        sha,
        state: b.state as StatusState["state"],
        context,
        description: (b.description as string | null) ?? null,
        targetUrl: (b.target_url as string | null) ?? null,
        creator: req.actor,
        createdAt: now,
        updatedAt: now,
      };
      core.state.statuses.push(s);
      if (s.state !== "pending") queueLooks(core, req.repo);
      return ok(serializeStatus(s, req.repo, core.urls), 201);
    },
  },
  "repos/list-commit-statuses-for-ref": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = await resolveCommit(req.repo.gitDir, req.params.ref ?? "");
      if (!sha) return notFound();
      const list = core.state.statuses.filter((s) => s.repo === req.repo.fullName && s.sha === sha).reverse();
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((s) => serializeStatus(s, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "repos/get-combined-status-for-ref": {
    auth: "repo",
    handle: async (req, core) => {
      const sha = await resolveCommit(req.repo.gitDir, req.params.ref ?? "");
      if (!sha) return failure(404, `No commit found for SHA: ${req.params.ref}`);
      const latest = latestStatuses(core, req.repo.fullName, sha);
      const states = latest.map((s) => s.state);
      const state = states.some((s) => s === "error" || s === "failure")
        ? "failure"
        : states.length === 0 || states.some((s) => s === "pending")
          ? "pending"
          : "success";
      return ok({
        state,
        statuses: latest.map((s) => serializeStatus(s, req.repo, core.urls)),
        sha,
        total_count: latest.length,
        repository: serializeRepo(req.repo, core.urls),
        commit_url: `${core.urls.api}/repos/${req.repo.fullName}/commits/${sha}`,
        url: `${core.urls.api}/repos/${req.repo.fullName}/commits/${sha}/status`,
      });
    },
  },
};

export function latestStatuses(core: SimCore, repo: string, sha: string): StatusState[] {
  const byContext = new Map<string, StatusState>();
  for (const s of core.state.statuses) if (s.repo === repo && s.sha === sha) byContext.set(s.context, s);
  return [...byContext.values()];
}
