// Issues (pull requests are issues too), issue comments and labels.
import { intParam, notFound, ok, paginate, validationFailed, type ApiReply, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { serializeComment, serializeIssue } from "../serialize-pulls.ts";
import { serializeLabel } from "../serialize-core.ts";
import { nowIso, type CommentState, type IssueState, type Label, type RepoState } from "../state.ts";
import { issueCommentPayload } from "../webhook-payloads.ts";

/** GitHub refuses comment bodies over 65,536 characters (counted as code points). */
export const COMMENT_BODY_MAX = 65536;

export function commentTooLong(body: string): ApiReply | undefined {
  const length = [...body].length;
  if (length <= COMMENT_BODY_MAX) return undefined;
  return {
    ...validationFailed("Validation Failed", [
      { resource: "IssueComment", code: "unprocessable", field: "data", message: `Body is too long (maximum is ${COMMENT_BODY_MAX} characters)` },
    ]),
    violation: `comment body has ${length} characters (max ${COMMENT_BODY_MAX})`,
  };
}

function findIssue(req: ApiRequest, core: SimCore): IssueState | undefined {
  return core.state.issue(req.repo.fullName, intParam(req.params.issue_number) ?? -1);
}

function findComment(req: ApiRequest, core: SimCore): CommentState | undefined {
  const c = core.state.comments.get(intParam(req.params.comment_id) ?? -1);
  return c && c.repo === req.repo.fullName ? c : undefined;
}

export function ensureLabel(core: SimCore, repo: RepoState, name: string, color = "ededed", description: string | null = null): Label {
  let label = repo.labels.get(name.toLowerCase());
  if (!label) {
    label = { id: core.state.nextId(), name, color, description };
    repo.labels.set(name.toLowerCase(), label);
  }
  return label;
}

function labelNames(input: unknown): string[] {
  const list = Array.isArray(input) ? input : input && typeof input === "object" && "labels" in input ? (input as { labels: unknown }).labels : [];
  return (Array.isArray(list) ? list : []).map((l) => (typeof l === "string" ? l : String((l as { name?: unknown }).name ?? ""))).filter(Boolean);
}

function issueLabels(core: SimCore, req: ApiRequest, issue: IssueState): ApiReply {
  return ok(
    issue.labels
      .map((n) => req.repo.labels.get(n.toLowerCase()))
      .filter((l) => !!l)
      .map((l) => serializeLabel(l, req.repo, core.urls)),
  );
}

export const issueRoutes: Routes = {
  "issues/create": {
    auth: "repo",
    handle: (req, core) => {
      const b = req.body;
      const now = nowIso();
      const labels = labelNames(b.labels ?? []).map((n) => ensureLabel(core, req.repo, n).name);
      const issue: IssueState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        number: req.repo.nextNumber++,
        title: String(b.title),
        body: b.body ?? null,
        user: req.actor,
        state: "open",
        stateReason: null,
        labels,
        isPull: false,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      };
      core.state.putIssue(issue);
      return ok(serializeIssue(core.state, issue, req.repo, core.urls), 201);
    },
  },
  "issues/get": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      return issue ? ok(serializeIssue(core.state, issue, req.repo, core.urls)) : notFound();
    },
  },
  "issues/update": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      if (!issue) return notFound();
      const b = req.body ?? {};
      if (typeof b.title === "string") issue.title = b.title;
      if (b.body !== undefined) issue.body = b.body;
      if (b.labels !== undefined) issue.labels = labelNames(b.labels).map((n) => ensureLabel(core, req.repo, n).name);
      if (b.state === "closed" && issue.state === "open")
        Object.assign(issue, { state: "closed", closedAt: nowIso(), stateReason: b.state_reason ?? "completed" });
      if (b.state === "open" && issue.state === "closed" && !core.state.pull(issue.repo, issue.number)?.merged)
        Object.assign(issue, { state: "open", closedAt: null, stateReason: "reopened" });
      issue.updatedAt = nowIso();
      return ok(serializeIssue(core.state, issue, req.repo, core.urls));
    },
  },
  "issues/list-for-repo": {
    auth: "repo",
    handle: (req, core) => {
      const state = req.query.get("state") ?? "open";
      const wanted = (req.query.get("labels") ?? "")
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const creator = req.query.get("creator")?.toLowerCase();
      const list = core.state
        .issuesOf(req.repo.fullName)
        .filter(
          (i) =>
            (state === "all" || i.state === state) &&
            wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)) &&
            (!creator || i.user.login.toLowerCase() === creator),
        )
        .sort((a, b) => (req.query.get("direction") === "asc" ? a.number - b.number : b.number - a.number));
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((i) => serializeIssue(core.state, i, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "issues/create-comment": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      if (!issue) return notFound();
      const body = String(req.body.body);
      const tooLong = commentTooLong(body);
      if (tooLong) return tooLong;
      const now = nowIso();
      const comment: CommentState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        issueNumber: issue.number,
        body,
        user: req.actor,
        createdAt: now,
        updatedAt: now,
      };
      core.state.comments.set(comment.id, comment);
      if (core.echoAppEvents) core.echo([() => ["issue_comment", issueCommentPayload(core, "created", comment, req.actor)]]);
      return ok(serializeComment(core.state, comment, req.repo, core.urls), 201);
    },
  },
  "issues/list-comments": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      if (!issue) return notFound();
      const since = req.query.get("since");
      const list = [...core.state.comments.values()].filter(
        (c) => c.repo === req.repo.fullName && c.issueNumber === issue.number && (!since || c.updatedAt >= since),
      );
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((c) => serializeComment(core.state, c, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "issues/get-comment": {
    auth: "repo",
    handle: (req, core) => {
      const c = findComment(req, core);
      return c ? ok(serializeComment(core.state, c, req.repo, core.urls)) : notFound();
    },
  },
  "issues/update-comment": {
    auth: "repo",
    handle: (req, core) => {
      const c = findComment(req, core);
      if (!c) return notFound();
      const body = String(req.body.body);
      const tooLong = commentTooLong(body);
      if (tooLong) return tooLong;
      const from = c.body;
      Object.assign(c, { body, updatedAt: nowIso() });
      if (core.echoAppEvents) core.echo([() => ["issue_comment", issueCommentPayload(core, "edited", c, req.actor, { body: { from } })]]);
      return ok(serializeComment(core.state, c, req.repo, core.urls));
    },
  },
  "issues/delete-comment": {
    auth: "repo",
    handle: (req, core) => {
      const c = findComment(req, core);
      if (!c) return notFound();
      core.state.comments.delete(c.id);
      return { status: 204 };
    },
  },
  "issues/add-labels": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      if (!issue) return notFound();
      for (const name of labelNames(req.body)) {
        const label = ensureLabel(core, req.repo, name);
        if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) issue.labels.push(label.name);
      }
      return issueLabels(core, req, issue);
    },
  },
  "issues/remove-label": {
    auth: "repo",
    handle: (req, core) => {
      const issue = findIssue(req, core);
      const name = (req.params.name ?? "").toLowerCase();
      if (!issue || !issue.labels.some((l) => l.toLowerCase() === name)) return { ...notFound(), body: { message: "Label does not exist" } };
      issue.labels = issue.labels.filter((l) => l.toLowerCase() !== name);
      return issueLabels(core, req, issue);
    },
  },
  "issues/list-labels-for-repo": {
    auth: "repo",
    handle: (req, core) => {
      const { page, headers } = paginate([...req.repo.labels.values()], req, core);
      return ok(
        page.map((l) => serializeLabel(l, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "issues/get-label": {
    auth: "repo",
    handle: (req, core) => {
      const l = req.repo.labels.get((req.params.name ?? "").toLowerCase());
      return l ? ok(serializeLabel(l, req.repo, core.urls)) : notFound();
    },
  },
  "issues/create-label": {
    auth: "repo",
    handle: (req, core) => {
      const name = String(req.body.name);
      if (req.repo.labels.has(name.toLowerCase())) return validationFailed("Validation Failed", [{ resource: "Label", code: "already_exists", field: "name" }]);
      const l = ensureLabel(core, req.repo, name, String(req.body.color ?? "ededed").replace(/^#/, ""), req.body.description ?? null);
      return ok(serializeLabel(l, req.repo, core.urls), 201);
    },
  },
};
