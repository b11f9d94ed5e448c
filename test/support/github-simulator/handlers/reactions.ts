// Reactions on issue comments and on issues (PRs included).
import { intParam, notFound, ok, paginate, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { serializeReaction } from "../serialize-pulls.ts";
import { nowIso, type ReactionState } from "../state.ts";

function react(req: ApiRequest, core: SimCore, subject: string) {
  const content = String(req.body.content);
  // GitHub answers 200 with the existing reaction when the same user reacts the same way twice.
  const existing = core.state.reactions.find((r) => r.subject === subject && r.content === content && r.user.id === req.actor.id);
  if (existing) return ok(serializeReaction(existing, core.urls), 200);
  const reaction: ReactionState = { id: core.state.nextId(), content, user: req.actor, createdAt: nowIso(), subject };
  core.state.reactions.push(reaction);
  return ok(serializeReaction(reaction, core.urls), 201);
}

function commentSubject(req: ApiRequest, core: SimCore): string | undefined {
  const c = core.state.comments.get(intParam(req.params.comment_id) ?? -1);
  return c && c.repo === req.repo.fullName ? `comment:${c.id}` : undefined;
}

export const reactionRoutes: Routes = {
  "reactions/create-for-issue-comment": {
    auth: "repo",
    handle: (req, core) => {
      const subject = commentSubject(req, core);
      return subject ? react(req, core, subject) : notFound();
    },
  },
  "reactions/list-for-issue-comment": {
    auth: "repo",
    handle: (req, core) => {
      const subject = commentSubject(req, core);
      if (!subject) return notFound();
      const content = req.query.get("content");
      const list = core.state.reactions.filter((r) => r.subject === subject && (!content || r.content === content));
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((r) => serializeReaction(r, core.urls)),
        200,
        headers,
      );
    },
  },
  "reactions/delete-for-issue-comment": {
    auth: "repo",
    handle: (req, core) => {
      const subject = commentSubject(req, core);
      const i = core.state.reactions.findIndex((r) => r.subject === subject && r.id === intParam(req.params.reaction_id));
      if (i >= 0) core.state.reactions.splice(i, 1);
      return { status: 204 };
    },
  },
  "reactions/create-for-issue": {
    auth: "repo",
    handle: (req, core) => {
      const n = intParam(req.params.issue_number) ?? -1;
      return core.state.issue(req.repo.fullName, n) ? react(req, core, `issue:${req.repo.fullName}#${n}`) : notFound();
    },
  },
};
