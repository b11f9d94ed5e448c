// Pull requests: read, list, files, merge, create, update, reviews, commits.
import { intParam, notFound, ok, paginate, validationFailed, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { commitsBetween } from "../git.ts";
import { diffFiles, readCommit } from "../git-read.ts";
import { closePull, mergeability, mergePull, openPull, pullStats } from "../ops-pulls.ts";
import { serializeCommit, serializePull, serializeReview } from "../serialize-pulls.ts";
import { nowIso, type PullState, type ReviewState } from "../state.ts";
import { pullRequestPayload, reviewPayload } from "../webhook-payloads.ts";
import { fileEntry } from "./repos.ts";

function findPull(req: ApiRequest, core: SimCore): PullState | undefined {
  return core.state.pull(req.repo.fullName, intParam(req.params.pull_number) ?? -1);
}

async function fullPull(core: SimCore, req: ApiRequest, pull: PullState): Promise<Record<string, unknown>> {
  const issue = core.state.issue(pull.repo, pull.number);
  if (!issue) throw new Error(`PR ${pull.number} lost its issue record`);
  const m = await mergeability(core, pull);
  return serializePull(core.state, pull, issue, req.repo, core.urls, { ...m, stats: await pullStats(core, pull) });
}

export const pullRoutes: Routes = {
  "pulls/get": {
    auth: "repo",
    handle: async (req, core) => {
      const pull = findPull(req, core);
      return pull ? ok(await fullPull(core, req, pull)) : notFound();
    },
  },
  "pulls/list": {
    auth: "repo",
    handle: (req, core) => {
      const state = req.query.get("state") ?? "open";
      const head = req.query.get("head");
      const base = req.query.get("base");
      const list = core.state
        .pullsOf(req.repo.fullName)
        .filter((p) => {
          const issue = core.state.issue(p.repo, p.number);
          if (!issue || (state !== "all" && issue.state !== state)) return false;
          if (base && p.base.ref !== base) return false;
          if (head) {
            const [owner, branch] = head.includes(":") ? head.split(":") : [undefined, head];
            const headOwner = core.state.repo(p.head.repoFullName)?.owner.login ?? "";
            if (p.head.ref !== branch || (owner && owner.toLowerCase() !== headOwner.toLowerCase())) return false;
          }
          return true;
        })
        .sort((a, b) => (req.query.get("direction") === "asc" ? a.number - b.number : b.number - a.number));
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((p) => {
          const issue = core.state.issue(p.repo, p.number);
          return issue ? serializePull(core.state, p, issue, req.repo, core.urls) : {};
        }),
        200,
        headers,
      );
    },
  },
  "pulls/list-files": {
    auth: "repo",
    handle: async (req, core) => {
      const pull = findPull(req, core);
      if (!pull) return notFound();
      // GitHub lists at most 3000 files for a PR.
      const files = (await diffFiles(req.repo.gitDir, pull.base.sha, pull.head.sha)).slice(0, 3000);
      const { page, headers } = paginate(files, req, core);
      return ok(
        page.map((f) => fileEntry(f, req.repo, pull.head.sha, core)),
        200,
        headers,
      );
    },
  },
  "pulls/list-commits": {
    auth: "repo",
    handle: async (req, core) => {
      const pull = findPull(req, core);
      if (!pull) return notFound();
      const shas = await commitsBetween(req.repo.gitDir, pull.base.sha, pull.head.sha);
      const { page, headers } = paginate(shas, req, core);
      const out = [];
      for (const sha of page) {
        const c = await readCommit(req.repo.gitDir, sha);
        if (c) out.push(serializeCommit(c, req.repo, core.urls));
      }
      return ok(out, 200, headers);
    },
  },
  "pulls/merge": {
    auth: "repo",
    handle: async (req, core) =>
      core.withRepoLock(req.repo.fullName, async () => {
        const pull = findPull(req, core);
        if (!pull) return notFound();
        const b = req.body ?? {};
        const result = await mergePull(core, pull, req.actor, {
          sha: b.sha,
          commitTitle: b.commit_title,
          commitMessage: b.commit_message,
          method: b.merge_method,
        });
        if (core.echoAppEvents) core.echo(result.events);
        return result.reply;
      }),
  },
  "pulls/create": {
    auth: "repo",
    handle: async (req, core) =>
      core.withRepoLock(req.repo.fullName, async () => {
        const b = req.body;
        const [headOwner, headRef] = String(b.head).includes(":") ? String(b.head).split(":", 2) : [req.repo.owner.login, String(b.head)];
        const headRepo =
          headOwner?.toLowerCase() === req.repo.owner.login.toLowerCase()
            ? req.repo
            : [...core.state.repos.values()].find((r) => r.forkOf === req.repo.fullName && r.owner.login.toLowerCase() === headOwner?.toLowerCase());
        if (!headRepo || !headRef) return validationFailed("Validation Failed", [{ resource: "PullRequest", field: "head", code: "invalid" }]);
        const result = await openPull(core, {
          repo: req.repo,
          headRepo,
          headRef,
          baseRef: String(b.base),
          title: String(b.title ?? ""),
          body: b.body ?? null,
          draft: !!b.draft,
          user: req.actor,
        });
        if (!result.ok) return result.reply;
        if (core.echoAppEvents) core.echo([() => ["pull_request", pullRequestPayload(core, "opened", result.pull, req.actor)]]);
        return ok(await fullPull(core, req, result.pull), 201);
      }),
  },
  "pulls/update": {
    auth: "repo",
    handle: async (req, core) => {
      const pull = findPull(req, core);
      const issue = pull && core.state.issue(pull.repo, pull.number);
      if (!pull || !issue) return notFound();
      const b = req.body ?? {};
      if (typeof b.title === "string") issue.title = b.title;
      if (typeof b.body === "string") issue.body = b.body;
      if (typeof b.base === "string") pull.base.ref = b.base;
      issue.updatedAt = nowIso();
      if (b.state === "closed") {
        const events = closePull(core, pull, req.actor);
        if (core.echoAppEvents) core.echo(events);
      } else if (b.state === "open" && issue.state === "closed" && !pull.merged) {
        Object.assign(issue, { state: "open", closedAt: null });
        if (core.echoAppEvents) core.echo([() => ["pull_request", pullRequestPayload(core, "reopened", pull, req.actor)]]);
      }
      return ok(await fullPull(core, req, pull));
    },
  },
  "pulls/list-reviews": {
    auth: "repo",
    handle: (req, core) => {
      const n = intParam(req.params.pull_number) ?? -1;
      if (!core.state.pull(req.repo.fullName, n)) return notFound();
      const reviews = core.state.reviews.filter((r) => r.repo === req.repo.fullName && r.pullNumber === n);
      const { page, headers } = paginate(reviews, req, core);
      return ok(
        page.map((r) => serializeReview(core.state, r, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "pulls/create-review": {
    auth: "repo",
    handle: (req, core) => {
      const pull = findPull(req, core);
      if (!pull) return notFound();
      const b = req.body ?? {};
      const states: Record<string, ReviewState["state"]> = { APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED", COMMENT: "COMMENTED" };
      const review: ReviewState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        pullNumber: pull.number,
        user: req.actor,
        state: b.event ? (states[b.event] ?? "COMMENTED") : "PENDING",
        body: b.body ?? "",
        commitId: b.commit_id ?? pull.head.sha,
        submittedAt: nowIso(),
      };
      core.state.reviews.push(review);
      if (core.echoAppEvents && review.state !== "PENDING") core.echo([() => ["pull_request_review", reviewPayload(core, review, pull)]]);
      return ok(serializeReview(core.state, review, req.repo, core.urls));
    },
  },
};
