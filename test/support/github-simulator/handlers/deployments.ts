// Deployments and deployment statuses, with GitHub's required_contexts gate: unless the caller
// passes `required_contexts`, every status context and check run on the commit must have passed.
import { intParam, notFound, ok, paginate, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import { resolveCommit } from "../git.ts";
import { serializeDeployment, serializeDeploymentStatus } from "../serialize-ci.ts";
import { nowIso, type DeploymentState, type DeploymentStatusState } from "../state.ts";
import { deploymentPayload, deploymentStatusPayload } from "../webhook-payloads.ts";
import { latestStatuses } from "./checks.ts";

function contextStates(core: SimCore, repo: string, sha: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const s of latestStatuses(core, repo, sha)) states.set(s.context, s.state);
  const runs = [...core.state.checkRuns.values()].filter((r) => r.repo === repo && r.headSha === sha).sort((a, b) => a.id - b.id);
  for (const r of runs) {
    const passed = r.status === "completed" && ["success", "neutral", "skipped"].includes(r.conclusion ?? "");
    states.set(r.name, passed ? "success" : r.status === "completed" ? (r.conclusion ?? "failure") : "pending");
  }
  return states;
}

function findDeployment(req: ApiRequest, core: SimCore): DeploymentState | undefined {
  const d = core.state.deployments.get(intParam(req.params.deployment_id) ?? -1);
  return d && d.repo === req.repo.fullName ? d : undefined;
}

export const deploymentRoutes: Routes = {
  "repos/create-deployment": {
    auth: "repo",
    handle: async (req, core) => {
      const b = req.body as Record<string, unknown>;
      const ref = String(b.ref);
      const sha = await resolveCommit(req.repo.gitDir, ref);
      if (!sha)
        return {
          status: 422,
          body: {
            message: `No ref found for: ${ref}`,
            documentation_url: "https://docs.github.com/rest/deployments/deployments#create-a-deployment",
            status: "422",
          },
        };
      const states = contextStates(core, req.repo.fullName, sha);
      const required = Array.isArray(b.required_contexts) ? (b.required_contexts as string[]) : [...states.keys()];
      const failing = required.filter((c) => states.get(c) !== "success");
      if (failing.length > 0) {
        return {
          status: 409,
          body: {
            message: `Conflict: Commit status checks failed for ${ref}.`,
            errors: [
              {
                contexts: failing.map((context) => ({ context, state: states.get(context) ?? "missing" })),
                resource: "Deployment",
                field: "required_contexts",
                code: "invalid",
              },
            ],
            documentation_url: "https://docs.github.com/rest/deployments/deployments#create-a-deployment",
          },
        };
      }
      const environment = typeof b.environment === "string" ? b.environment : "production";
      let payload: unknown = b.payload ?? {};
      if (typeof payload === "string") {
        try {
          payload = JSON.parse(payload);
        } catch {
          // GitHub keeps a non-JSON string payload as it is.
        }
      }
      const now = nowIso();
      const d: DeploymentState = {
        id: core.state.nextId(),
        repo: req.repo.fullName,
        sha,
        ref,
        task: typeof b.task === "string" ? b.task : "deploy",
        payload,
        environment,
        originalEnvironment: environment,
        description: typeof b.description === "string" ? b.description : "",
        creator: req.actor,
        transient: b.transient_environment === true,
        production: typeof b.production_environment === "boolean" ? b.production_environment : environment === "production",
        createdAt: now,
        updatedAt: now,
      };
      core.state.deployments.set(d.id, d);
      if (core.echoAppEvents) core.echo([() => ["deployment", deploymentPayload(core, d)]]);
      return ok(serializeDeployment(d, req.repo, core.app, core.urls), 201);
    },
  },
  "repos/list-deployments": {
    auth: "repo",
    handle: (req, core) => {
      const q = req.query;
      const list = [...core.state.deployments.values()]
        .filter(
          (d) =>
            d.repo === req.repo.fullName &&
            (!q.get("sha") || d.sha === q.get("sha")) &&
            (!q.get("ref") || d.ref === q.get("ref")) &&
            (!q.get("task") || d.task === q.get("task")) &&
            (!q.get("environment") || d.environment === q.get("environment")),
        )
        .sort((a, b) => b.id - a.id);
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((d) => serializeDeployment(d, req.repo, core.app, core.urls)),
        200,
        headers,
      );
    },
  },
  "repos/get-deployment": {
    auth: "repo",
    handle: (req, core) => {
      const d = findDeployment(req, core);
      return d ? ok(serializeDeployment(d, req.repo, core.app, core.urls)) : notFound();
    },
  },
  "repos/create-deployment-status": {
    auth: "repo",
    handle: (req, core) => {
      const d = findDeployment(req, core);
      if (!d) return notFound();
      const b = req.body as Record<string, unknown>;
      const s: DeploymentStatusState = {
        id: core.state.nextId(),
        deploymentId: d.id,
        state: String(b.state),
        description: typeof b.description === "string" ? b.description : "",
        environment: typeof b.environment === "string" ? b.environment : d.environment,
        logUrl: typeof b.log_url === "string" ? b.log_url : typeof b.target_url === "string" ? b.target_url : "",
        environmentUrl: typeof b.environment_url === "string" ? b.environment_url : "",
        creator: req.actor,
        createdAt: nowIso(),
      };
      core.state.deploymentStatuses.push(s);
      d.updatedAt = s.createdAt;
      if (s.state === "success" && b.auto_inactive !== false) markOlderInactive(core, d, req.actor);
      if (core.echoAppEvents) core.echo([() => ["deployment_status", deploymentStatusPayload(core, s, d)]]);
      return ok(serializeDeploymentStatus(s, d, req.repo, core.urls), 201);
    },
  },
  "repos/list-deployment-statuses": {
    auth: "repo",
    handle: (req, core) => {
      const d = findDeployment(req, core);
      if (!d) return notFound();
      const list = core.state.deploymentStatuses.filter((s) => s.deploymentId === d.id).reverse();
      const { page, headers } = paginate(list, req, core);
      return ok(
        page.map((s) => serializeDeploymentStatus(s, d, req.repo, core.urls)),
        200,
        headers,
      );
    },
  },
  "repos/get-deployment-status": {
    auth: "repo",
    handle: (req, core) => {
      const d = findDeployment(req, core);
      const s = d && core.state.deploymentStatuses.find((x) => x.deploymentId === d.id && x.id === intParam(req.params.status_id));
      return d && s ? ok(serializeDeploymentStatus(s, d, req.repo, core.urls)) : notFound();
    },
  },
};

/** A success makes earlier non-transient, non-production deployments of the environment inactive. */
function markOlderInactive(core: SimCore, d: DeploymentState, actor: DeploymentStatusState["creator"]): void {
  for (const other of core.state.deployments.values()) {
    if (other.id >= d.id || other.repo !== d.repo || other.environment !== d.environment || other.transient || other.production) continue;
    const last = core.state.deploymentStatuses.filter((s) => s.deploymentId === other.id).pop();
    if (last?.state === "inactive") continue;
    core.state.deploymentStatuses.push({
      id: core.state.nextId(),
      deploymentId: other.id,
      state: "inactive",
      description: "",
      environment: other.environment,
      logUrl: "",
      environmentUrl: "",
      creator: actor,
      createdAt: nowIso(),
    });
  }
}
