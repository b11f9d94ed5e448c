// A signed-in user's view (user-to-server token): who they are, the installations of this App
// they can reach, and each installation's repositories they can read, with their permissions.
import { ok, paginate, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { serializeInstallation, serializeRepo, serializeUser } from "../serialize-core.ts";
import type { Permission, RepoState } from "../state.ts";

function flags(p: Permission | "none"): Record<string, boolean> {
  const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(p);
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
}

function readable(core: SimCore, login: string): RepoState[] {
  return [...core.state.repos.values()].filter((r) => core.state.permissionOf(r, login) !== "none");
}

function login(req: ApiRequest): string {
  return req.auth.kind === "user" ? req.auth.login : "";
}

export const userInstallationRoutes: Routes = {
  "users/get-authenticated": {
    auth: "user",
    handle: (req, core) => {
      const user = core.state.user(login(req));
      return ok({
        ...serializeUser(user, core.urls),
        name: null,
        company: null,
        blog: "",
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: core.app.createdAt,
        updated_at: core.app.createdAt,
      });
    },
  },
  "apps/list-installations-for-authenticated-user": {
    auth: "user",
    handle: (req, core) => {
      const ids = new Set(readable(core, login(req)).map((r) => r.installationId));
      const all = [...core.state.installations.values()].filter((i) => ids.has(i.id)).map((i) => serializeInstallation(i, core.app, core.urls));
      const { page, headers } = paginate(all, req, core);
      return ok({ total_count: all.length, installations: page }, 200, headers);
    },
  },
  "apps/list-installation-repos-for-authenticated-user": {
    auth: "user",
    handle: (req, core) => {
      const id = Number(req.params.installation_id);
      const who = login(req);
      const repos = readable(core, who).filter((r) => r.installationId === id);
      if (repos.length === 0) return { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" } };
      const all = repos.map((r) => serializeRepo(r, core.urls, flags(core.state.permissionOf(r, who))));
      const { page, headers } = paginate(all, req, core);
      return ok({ total_count: all.length, repository_selection: "all", repositories: page }, 200, headers);
    },
  },
};
