// REST shapes of check runs, commit statuses, deployments and deployment statuses.
import { serializeApp, serializeUser, type AppInfo, type Urls } from "./serialize-core.ts";
import { nodeId, type CheckRunState, type DeploymentState, type DeploymentStatusState, type RepoState, type StatusState } from "./state.ts";

export function serializeCheckRun(run: CheckRunState, repo: RepoState, app: AppInfo, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/check-runs/${run.id}`;
  return {
    id: run.id,
    node_id: nodeId("CheckRun", run.id),
    head_sha: run.headSha,
    external_id: run.externalId,
    url: api,
    html_url: `${urls.base}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${urls.base}/apps/${app.slug}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${api}/annotations`,
    },
    name: run.name,
    // One suite per head SHA, as GitHub groups an app's runs.
    check_suite: { id: parseInt(run.headSha.slice(0, 7), 16) },
    app: serializeApp(app, urls, 1),
    pull_requests: [],
  };
}

export function serializeStatus(s: StatusState, repo: RepoState, urls: Urls): Record<string, unknown> {
  return {
    url: `${urls.api}/repos/${repo.fullName}/statuses/${s.sha}`,
    avatar_url: null,
    id: s.id,
    node_id: nodeId("StatusContext", s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    creator: serializeUser(s.creator, urls),
  };
}

export function serializeDeployment(d: DeploymentState, repo: RepoState, app: AppInfo, urls: Urls): Record<string, unknown> {
  const api = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url: api,
    id: d.id,
    node_id: nodeId("Deployment", d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.originalEnvironment,
    environment: d.environment,
    description: d.description,
    creator: serializeUser(d.creator, urls),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${api}/statuses`,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    transient_environment: d.transient,
    production_environment: d.production,
    performed_via_github_app: d.creator.type === "Bot" ? serializeApp(app, urls, 1) : null,
  };
}

export function serializeDeploymentStatus(s: DeploymentStatusState, d: DeploymentState, repo: RepoState, urls: Urls): Record<string, unknown> {
  const dep = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
  return {
    url: `${dep}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId("DeploymentStatus", s.id),
    state: s.state,
    creator: serializeUser(s.creator, urls),
    description: s.description,
    environment: s.environment,
    target_url: s.logUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: dep,
    repository_url: `${urls.api}/repos/${repo.fullName}`,
    environment_url: s.environmentUrl,
    log_url: s.logUrl,
    performed_via_github_app: null,
  };
}
