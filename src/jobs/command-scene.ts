// Gathers what a command's decision reads (policy/command-facts.ts) from GitHub and Redis: once
// per comment what all its commands share (the pull request, its configs, who comments), and per
// command only what that command's decision needs (policy's `factsNeeded`), read afresh — an
// earlier command of the same comment (`/approve`, then `/apply`) may have changed it.
import type { Command, ParseOptions } from "../commands/command-types.ts";
import type { CommentIntent } from "../domain/intent.ts";
import { pullKey } from "../domain/types.ts";
import { People } from "../github/people.ts";
import type { PullStatus, RepoGitHub } from "../github/port.ts";
import type { EnvironmentGate } from "../policy/approvers.ts";
import {
  factsNeeded,
  type DeployFacts,
  type DriftIssueFacts,
  type PullCommandFacts,
  type PullRequestFacts,
  type ReleaseIssueFacts,
} from "../policy/command-decisions.ts";
import { effectiveGates } from "../policy/gates.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import { evaluatePullApprovals, loadPullConfigs, readPlan, type PullConfigs } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";

/** What gathering a command's facts and carrying out its decision need. */
export type CommandDeps = Pick<JobDeps, "github" | "workspaces" | "dispatcher" | "plans" | "approvals" | "people" | "locks" | "deploys" | "audit" | "log">;
import { CONFIG_FILE } from "./load-configs.ts";

export interface PullScene {
  on: "pull_request";
  pull: PullStatus;
  configs: PullConfigs;
  parseOptions: ParseOptions;
  factsFor(command: Command): Promise<PullCommandFacts>;
}

export interface DriftScene {
  on: "drift_issue";
  project: string;
  branch: string;
  parseOptions: ParseOptions;
  factsFor(command: Command): Promise<DriftIssueFacts>;
}

export interface ReleaseScene {
  on: "release_issue";
  sha: string;
  parseOptions: ParseOptions;
  factsFor(command: Command): Promise<ReleaseIssueFacts>;
}

export type CommandScene = PullScene | DriftScene | ReleaseScene;

export async function pullScene(deps: CommandDeps, gh: RepoGitHub, intent: CommentIntent): Promise<PullScene> {
  const pull = await gh.getPull(intent.pullNumber);
  const configs = await loadPullConfigs(deps, gh, pull.facts);
  const people = new People(gh, deps.people);
  const permission = once(() => people.permission(intent.user));
  const factsFor = async (command: Command): Promise<PullCommandFacts> => {
    const needed = factsNeeded(command, { on: "pull_request", merged: pull.merged });
    const teams = needed.teams ? await people.teamsOf(intent.user, namedApprovers(configs)) : [];
    return {
      on: "pull_request",
      actor: { login: intent.user, permission: await permission(), teams },
      pull: pullRequestFacts(pull),
      gates: configs.gates,
      baseAllowsForks: configs.base?.allow_forks ?? false,
      plan: await readPlan(deps, pull.facts),
      ...(needed.ownApproval ? { hasApproval: await deps.approvals.has(pullKey(pull.facts), intent.user) } : {}),
      ...(needed.approvals ? { approvals: await evaluatePullApprovals(deps, gh, pull.facts, configs.gates) } : {}),
      ...(needed.deploy ? { deploy: await deployFacts(deps, intent, pull.mergeCommitSha) } : {}),
    };
  };
  return { on: "pull_request", pull, configs, parseOptions: parseOptionsOf(configs.head), factsFor };
}

function pullRequestFacts(pull: PullStatus): PullRequestFacts {
  const { facts } = pull;
  return {
    state: pull.state,
    merged: pull.merged,
    mergeCommitSha: pull.mergeCommitSha,
    headSha: facts.headSha,
    author: facts.author,
    fromFork: facts.fromFork,
    mergeable: pull.mergeable,
  };
}

/** The environments of the merge commit's deploy and their states; null when it has none. */
async function deployFacts(deps: CommandDeps, intent: CommentIntent, sha: string | undefined): Promise<DeployFacts | null> {
  const deploy = sha ? await deps.deploys.get(`${intent.repo.owner}/${intent.repo.name}`, sha) : null;
  if (!deploy) return null;
  return { sha: deploy.sha, environments: Object.fromEntries(Object.values(deploy.environments).map((e) => [e.name, e.state])) };
}

/**
 * A comment on a drift issue: the project it reports, and its environment's gate as the default
 * branch's config says now (read only when a command needs it: most comments are conversation).
 */
export function driftScene(deps: CommandDeps, gh: RepoGitHub, intent: CommentIntent, project: string): DriftScene {
  const branch = intent.defaultBranch ?? "main";
  const people = new People(gh, deps.people);
  const permission = once(() => people.permission(intent.user));
  const gate = once(() => defaultBranchGate(deps, gh, branch, project));
  const factsFor = async (command: Command): Promise<DriftIssueFacts> => {
    const needed = factsNeeded(command, { on: "drift_issue" });
    const found = needed.teams ? await gate() : undefined;
    const teams = found?.gate ? await people.teamsOf(intent.user, approverLists(found.gate)) : [];
    return { on: "drift_issue", actor: { login: intent.user, permission: await permission(), teams }, project, ...found };
  };
  return { on: "drift_issue", project, branch, parseOptions: {}, factsFor };
}

/**
 * A comment on the release issue of a direct push: the deploy of its commit, and the gates of
 * that commit's config (the ones the deploy started with).
 */
export function releaseScene(deps: CommandDeps, gh: RepoGitHub, intent: CommentIntent, sha: string): ReleaseScene {
  const people = new People(gh, deps.people);
  const permission = once(() => people.permission(intent.user));
  const config = once(async () => {
    const text = await deps.workspaces.readFileAt({ owner: gh.repo.owner, repo: gh.repo.name, token: await gh.token(), rev: sha, path: CONFIG_FILE });
    const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
    return parsed?.ok ? parsed.config : undefined;
  });
  const factsFor = async (): Promise<ReleaseIssueFacts> => {
    const deploy = await deployFacts(deps, intent, sha);
    const gates = effectiveGates(await config(), undefined);
    const approvers = Object.keys(deploy?.environments ?? {}).flatMap((e) => approverLists(gates.environment(e)));
    const teams = await people.teamsOf(intent.user, approvers);
    return { on: "release_issue", actor: { login: intent.user, permission: await permission(), teams }, sha, gates, deploy };
  };
  return { on: "release_issue", sha, parseOptions: {}, factsFor };
}

async function defaultBranchGate(
  deps: CommandDeps,
  gh: RepoGitHub,
  branch: string,
  project: string,
): Promise<{ environment?: string; gate?: EnvironmentGate }> {
  const where = { owner: gh.repo.owner, repo: gh.repo.name, token: await gh.token() };
  const text = await deps.workspaces.readFileAt({ ...where, rev: await deps.workspaces.branchHead({ ...where, branch }), path: CONFIG_FILE });
  const parsed = text === null ? null : parseRepoConfig(text, CONFIG_FILE);
  const config = parsed?.ok ? parsed.config : undefined;
  const environment = config?.projects.find((p) => p.name === project)?.environment;
  if (environment === undefined) return {};
  return { environment, gate: effectiveGates(config, undefined).environment(environment) };
}

/** Project and environment names `parseCommands` accepts: those of the head's config, when valid. */
function parseOptionsOf(head: RepoConfig | undefined): ParseOptions {
  if (!head) return {};
  const environments = [...Object.keys(head.environments), ...head.projects.flatMap((p) => (p.environment ? [p.environment] : []))];
  return { knownProjects: head.projects.map((p) => p.name), knownEnvironments: [...new Set(environments)] };
}

/** Every approver entry of every environment either config names (teams among them are looked up). */
function namedApprovers(configs: PullConfigs): string[] {
  const names = new Set<string>();
  for (const config of [configs.base, configs.head]) {
    if (!config) continue;
    for (const name of Object.keys(config.environments)) names.add(name);
    for (const p of config.projects) if (p.environment) names.add(p.environment);
  }
  return [...names].flatMap((name) => approverLists(configs.gates.environment(name)));
}

function approverLists(gate: EnvironmentGate): string[] {
  return [gate.approvers, ...(gate.alsoApprovers ?? [])].flat();
}

/** A lookup done at most once, and only if asked for. */
function once<T>(lookup: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= lookup());
}
