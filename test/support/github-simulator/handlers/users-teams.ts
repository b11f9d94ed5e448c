// Who may do what: collaborator permission levels and org team membership.
import { notFound, ok, paginate, type Routes } from "../api-types.ts";
import { serializeUser } from "../serialize-core.ts";
import type { Permission } from "../state.ts";

// The `permission` field keeps GitHub's legacy base roles: maintain reads as write, triage as read.
const LEGACY: Record<Permission | "none", string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read", none: "none" };

function permissionFlags(p: Permission | "none"): Record<string, boolean> {
  const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(p);
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
}

export const userTeamRoutes: Routes = {
  "repos/get-collaborator-permission-level": {
    auth: "repo",
    handle: (req, core) => {
      // Unknown accounts are 404; a known account without access answers "none", as GitHub does.
      const user = core.state.findUser(req.params.username ?? "");
      if (!user) return notFound();
      const p = core.state.permissionOf(req.repo, user.login);
      return ok({
        permission: LEGACY[p],
        role_name: p,
        user: { ...serializeUser(user, core.urls), permissions: permissionFlags(p), role_name: p },
      });
    },
  },
  "repos/check-collaborator": {
    auth: "repo",
    handle: (req, core) => {
      const user = core.state.findUser(req.params.username ?? "");
      return user && core.state.permissionOf(req.repo, user.login) !== "none" ? { status: 204 } : notFound();
    },
  },
  "teams/get-membership-for-user-in-org": {
    auth: "installation",
    handle: (req, core) => {
      const team = core.state.teams.get(`${req.params.org}/${req.params.team_slug}`.toLowerCase());
      const login = (req.params.username ?? "").toLowerCase();
      if (!team || !team.members.has(login)) return notFound();
      return ok({ url: `${core.urls.api}/organizations/${team.org}/team/${team.id}/memberships/${req.params.username}`, role: "member", state: "active" });
    },
  },
  "teams/list-members-in-org": {
    auth: "installation",
    handle: (req, core) => {
      const team = core.state.teams.get(`${req.params.org}/${req.params.team_slug}`.toLowerCase());
      if (!team) return notFound();
      const users = [...team.members]
        .map((l) => core.state.findUser(l))
        .filter((u) => !!u)
        .map((u) => serializeUser(u, core.urls));
      const { page, headers } = paginate(users, req, core);
      return ok(page, 200, headers);
    },
  },
};
