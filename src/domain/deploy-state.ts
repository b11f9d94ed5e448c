// The deploy of one commit of the default branch, as a state machine. Pure: the deploy job feeds
// it events (a project started, finished, the worker died, an environment was released) and
// carries out what the new state asks for — the next projects to apply, the GitHub deployment
// statuses that changed. Every rule about a deploy's progress lives here, table-tested.
import type { PlanDifferences } from "./plan-differences.ts";
import type { ProjectRunResult, ResourceChange } from "./types.ts";

export type EnvironmentState = "waiting" | "queued" | "in_progress" | "success" | "failure" | "skipped";

export interface EnvironmentDeploy {
  name: string;
  /** The GitHub deployment; projects without an environment have none. */
  deploymentId?: number;
  state: EnvironmentState;
  /** Why it waits or was skipped, for the comment and the deployment status. */
  reason?: string;
  /** It waits because its worker died mid-apply: the world may be half-changed. */
  interrupted?: true;
}

/** The plan a pull request's approvals were given for (its last plan at its head). */
export interface ApprovedPlan {
  digest: string;
  changes?: ResourceChange[];
}

/** A plan made at the deploy's commit that differs from the approved one: shown, waiting for a release. */
export interface HeldPlan {
  digest: string;
  plan: ProjectRunResult;
  /** Absent when a workflow's plans list no resources (a custom workflow with `exact_plan`). */
  differences?: PlanDifferences;
}

export interface DeployProject {
  name: string;
  environment?: string;
  /** Projects of this deploy it waits for (depends_on, as configured at the commit). */
  dependsOn?: string[];
  /** Set when the plan's digest is exact (SPEC §7): the plan at the commit must match it to apply. */
  approvedPlan?: ApprovedPlan;
}

export interface DeployState {
  sha: string;
  pullNumber?: number;
  /** The merged pull request's title, when the merge said it. */
  pullTitle?: string;
  /** Projects of this deploy in apply order. */
  projects: DeployProject[];
  environments: Record<string, EnvironmentDeploy>;
  results: Record<string, ProjectRunResult>;
  /** The projects being applied right now: what a worker that dies leaves half-done. */
  inFlight?: string[];
  /** The pull request opened to revert this deploy's merge (`on_apply_failure: revert_pr`). */
  revertPull?: number;
  /** Projects whose plan changed since it was approved: the plan shown, applied only when released. */
  held?: Record<string, HeldPlan>;
  /** Projects the merge queue already applied at this very commit (`apply: in_merge_queue`): not part of this deploy. */
  appliedInQueue?: string[];
  /** A direct push has no pull request: the issue opened for releasing its waiting environments. */
  releaseIssue?: number;
  /** Set once that issue was closed: it is closed once. */
  releaseIssueClosed?: true;
}

export type DeployEvent =
  | { type: "project_started"; project: string }
  | { type: "project_finished"; result: ProjectRunResult }
  | { type: "interrupted" }
  /** The plan at the commit is not the approved one (or the one shown when it was last held). */
  | { type: "plan_changed"; project: string; held: HeldPlan }
  | { type: "released"; environment: string; by: string }
  /** A release of a commit that is no longer the newest on the default branch. */
  | { type: "release_superseded"; environment: string }
  | { type: "revert_opened"; pull: number }
  | { type: "release_issue_opened"; issue: number }
  | { type: "release_issue_closed" };

/** Projects without an environment deploy without a GitHub deployment, under this key. */
export const NO_ENVIRONMENT = "";

export const INTERRUPTED = "interrupted, not re-run automatically";

/**
 * Where a waiting environment is released: a merge's pull request, or — a direct push has none —
 * the release issue Slipway opens for its commit (jobs/release-issue.ts).
 */
export function whereToRelease(directPush: boolean): string {
  return directPush ? "on the release issue of this commit" : "on the merged pull request";
}

export function succeeded(result: ProjectRunResult): boolean {
  return result.status === "changes" || result.status === "no_changes";
}

export function environmentOf(project: DeployProject): string {
  return project.environment ?? NO_ENVIRONMENT;
}

export function reduceDeploy(state: DeployState, event: DeployEvent): DeployState {
  const next = structuredClone(state);
  switch (event.type) {
    case "project_started":
      return projectStarted(next, event.project);
    case "project_finished":
      return projectFinished(next, event.result);
    case "interrupted":
      return interrupted(next);
    case "plan_changed":
      return planChanged(next, event.project, event.held);
    case "released":
      return released(next, event.environment, event.by);
    case "release_superseded":
      return releaseSuperseded(next, event.environment);
    case "revert_opened":
      return { ...next, revertPull: event.pull };
    case "release_issue_opened":
      return { ...next, releaseIssue: event.issue };
    case "release_issue_closed":
      return { ...next, releaseIssueClosed: true };
  }
}

function projectStarted(s: DeployState, project: string): DeployState {
  const env = envOfProject(s, project);
  if (env?.state === "queued") env.state = "in_progress";
  if (!(s.inFlight ?? []).includes(project)) s.inFlight = [...(s.inFlight ?? []), project];
  return s;
}

function projectFinished(s: DeployState, result: ProjectRunResult): DeployState {
  s.results[result.project] = result;
  if (s.held?.[result.project]) {
    const { [result.project]: _done, ...rest } = s.held;
    s.held = rest;
  }
  s.inFlight = (s.inFlight ?? []).filter((p) => p !== result.project);
  const env = envOfProject(s, result.project);
  if (!env || (env.state !== "queued" && env.state !== "in_progress")) return s;
  // An environment is done as soon as its own projects are: it does not wait for later ones.
  const own = s.projects.filter((p) => environmentOf(p) === env.name).map((p) => s.results[p.name]);
  if (own.every((r) => r !== undefined)) env.state = own.every((r) => succeeded(r!)) ? "success" : "failure";
  return s;
}

function planChanged(s: DeployState, project: string, held: HeldPlan): DeployState {
  s.inFlight = (s.inFlight ?? []).filter((p) => p !== project);
  s.held = { ...s.held, [project]: held };
  const env = envOfProject(s, project);
  if (!env) return s;
  // Like a `manual` environment: nobody reviewed this plan, so a human releases it. The projects
  // after it wait too, as they wait for any upstream project without a result.
  env.state = "waiting";
  delete env.interrupted;
  const name = env.name || "this deploy";
  env.reason = `the plan of ${project} changed since it was approved: an approver comments \`/apply ${name}\` ${whereToRelease(s.pullNumber === undefined)} to apply the plan shown`;
  return s;
}

function interrupted(s: DeployState): DeployState {
  const applying = (s.inFlight ?? []).join(", ");
  const where = whereToRelease(s.pullNumber === undefined);
  for (const env of Object.values(s.environments)) {
    if (env.state !== "in_progress") continue;
    env.state = "waiting";
    env.interrupted = true;
    env.reason = `${env.name} was ${INTERRUPTED}${applying ? ` while applying ${applying}` : ""}: an approver comments \`/apply ${env.name}\` ${where} to run it again`;
  }
  return s;
}

function released(s: DeployState, environment: string, by: string): DeployState {
  const env = s.environments[environment];
  if (env?.state !== "waiting") return s;
  env.state = "queued";
  env.reason = `released by @${by}`;
  delete env.interrupted;
  // What was half-applied when the worker died runs again, from the start.
  const own = new Set(s.projects.filter((p) => environmentOf(p) === environment).map((p) => p.name));
  s.inFlight = (s.inFlight ?? []).filter((p) => !own.has(p));
  return s;
}

function releaseSuperseded(s: DeployState, environment: string): DeployState {
  const env = s.environments[environment];
  if (env?.state !== "waiting") return s;
  // An older commit is never applied over the newer state of the default branch.
  env.state = "skipped";
  env.reason = `${environment} skipped: a newer commit is on the default branch`;
  delete env.interrupted;
  return s;
}

/**
 * What the release issue of a direct push's deploy needs now (a merge's deploy has its pull
 * request to comment on, and none): opened when an environment first waits; closed once none
 * waits and none is still to run, saying which were skipped as superseded.
 */
export function releaseIssueChange(s: DeployState): { open: string[] } | { close: { skipped: string[] } } | undefined {
  if (s.pullNumber !== undefined || s.releaseIssueClosed) return undefined;
  const envs = Object.values(s.environments).filter((e) => e.name !== NO_ENVIRONMENT);
  const waiting = envs.filter((e) => e.state === "waiting").map((e) => e.name);
  if (s.releaseIssue === undefined) return waiting.length > 0 ? { open: waiting } : undefined;
  if (waiting.length > 0 || envs.some((e) => e.state === "queued" || e.state === "in_progress")) return undefined;
  return { close: { skipped: envs.filter((e) => e.state === "skipped").map((e) => e.name) } };
}

function envOfProject(s: DeployState, project: string): EnvironmentDeploy | undefined {
  const p = s.projects.find((x) => x.name === project);
  return p ? s.environments[environmentOf(p)] : undefined;
}

export interface NextSteps {
  /** Projects whose environment may run and whose upstream projects all applied. */
  apply: string[];
  /** Projects that will not apply because an upstream project of this deploy failed. */
  blocked: { project: string; upstream: string }[];
}

/** What may happen now: independent ready projects apply together (a wave). */
export function nextSteps(s: DeployState): NextSteps {
  const out: NextSteps = { apply: [], blocked: [] };
  const inDeploy = new Set(s.projects.map((p) => p.name));
  for (const project of s.projects) {
    const env = s.environments[environmentOf(project)];
    if (s.results[project.name] || (s.inFlight ?? []).includes(project.name)) continue;
    if (env?.state !== "queued" && env?.state !== "in_progress") continue;
    const upstream = (project.dependsOn ?? []).filter((d) => inDeploy.has(d));
    const failed = upstream.find((d) => s.results[d] !== undefined && !succeeded(s.results[d]!));
    if (failed) out.blocked.push({ project: project.name, upstream: failed });
    else if (upstream.every((d) => s.results[d] !== undefined)) out.apply.push(project.name);
  }
  return out;
}

export type GitHubDeploymentState = "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

export interface DeploymentUpdate {
  deploymentId: number;
  state: GitHubDeploymentState;
  description: string;
}

/** What GitHub's deployment of an environment should say. Waiting and queued both read `queued`. */
export function deploymentStatusOf(env: EnvironmentDeploy): { state: GitHubDeploymentState; description: string } {
  if (env.state === "waiting")
    return env.interrupted ? { state: "error", description: `${env.name}: ${INTERRUPTED}` } : { state: "queued", description: env.reason ?? "waiting" };
  if (env.state === "queued") return { state: "queued", description: env.reason ?? "queued" };
  if (env.state === "skipped") return { state: "inactive", description: env.reason ?? "skipped" };
  return { state: env.state, description: `${env.name}: ${env.state.replace("_", " ")}` };
}

/** The deployment statuses to post after a change of state: one per environment whose GitHub state changed. */
export function deploymentUpdates(before: DeployState | null, after: DeployState): DeploymentUpdate[] {
  const updates: DeploymentUpdate[] = [];
  for (const env of Object.values(after.environments)) {
    if (env.deploymentId === undefined) continue;
    const now = deploymentStatusOf(env);
    const old = before?.environments[env.name];
    if (old && deploymentStatusOf(old).state === now.state) continue;
    updates.push({ deploymentId: env.deploymentId, ...now });
  }
  return updates;
}
