// The app's own endpoints (JWT-authenticated) and installation-level lookups.
import { failure, intParam, notFound, ok, paginate, type Routes } from "../api-types.ts";
import { serializeApp, serializeInstallation, serializeRepo, serializeUser } from "../serialize-core.ts";

export const appRoutes: Routes = {
  "apps/get-authenticated": {
    auth: "app",
    handle: (_req, core) => ok(serializeApp(core.app, core.urls, core.state.installations.size)),
  },
  "apps/list-installations": {
    auth: "app",
    handle: (req, core) => {
      const all = [...core.state.installations.values()].map((i) => serializeInstallation(i, core.app, core.urls));
      const { page, headers } = paginate(all, req, core);
      return ok(page, 200, headers);
    },
  },
  "apps/get-installation": {
    auth: "app",
    handle: (req, core) => {
      const inst = core.state.installations.get(intParam(req.params.installation_id) ?? -1);
      return inst ? ok(serializeInstallation(inst, core.app, core.urls)) : notFound();
    },
  },
  "apps/create-installation-access-token": {
    auth: "app",
    handle: (req, core) => {
      const inst = core.state.installations.get(intParam(req.params.installation_id) ?? -1);
      if (!inst) return notFound();
      const t = core.tokens.issue(inst.id);
      const repos = [...core.state.repos.values()].filter((r) => r.installationId === inst.id);
      return ok(
        {
          token: t.token,
          expires_at: new Date(t.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
          permissions: req.body?.permissions ?? serializeInstallation(inst, core.app, core.urls).permissions,
          repository_selection: "all",
          ...(req.body?.repositories
            ? { repositories: repos.filter((r) => req.body.repositories.includes(r.name)).map((r) => serializeRepo(r, core.urls)) }
            : {}),
        },
        201,
      );
    },
  },
  "apps/get-repo-installation": {
    // GitHub answers this to the app JWT; installation tokens are refused.
    auth: "app",
    handle: (req, core) => {
      const repo = core.state.repo(`${req.params.owner}/${req.params.repo}`);
      const inst = repo && core.state.installations.get(repo.installationId);
      return inst ? ok(serializeInstallation(inst, core.app, core.urls)) : notFound();
    },
  },
  "apps/list-repos-accessible-to-installation": {
    auth: "installation",
    handle: (req, core) => {
      if (req.auth.kind !== "installation") return failure(403, "Resource not accessible by integration");
      const id = req.auth.installationId;
      const repos = [...core.state.repos.values()].filter((r) => r.installationId === id).map((r) => serializeRepo(r, core.urls));
      const { page, headers } = paginate(repos, req, core);
      return ok({ total_count: repos.length, repository_selection: "all", repositories: page }, 200, headers);
    },
  },
  "apps/revoke-installation-access-token": {
    auth: "installation",
    handle: (req, core) => {
      if (req.auth.kind === "installation") core.tokens.expire(req.auth.token);
      return { status: 204 };
    },
  },
  "users/get-by-username": {
    auth: "installation",
    handle: (req, core) => {
      const u = core.state.findUser(req.params.username ?? "");
      return u ? ok({ ...serializeUser(u, core.urls), name: u.login, created_at: core.app.createdAt, updated_at: core.app.createdAt }) : notFound();
    },
  },
};
