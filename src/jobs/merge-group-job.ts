// A merge queue's group (SPEC §11): GitHub builds a commit — the base branch with the group's pull
// requests merged on top — and asks for the required checks on it. Slipway plans there the
// projects the group changes, says whether every pull request of the group is approved, and with
// `apply: in_merge_queue` applies the group's plans there, so the queue merges only what applied.
// A group that applied and then left the queue unmerged is handled in merge-group-destroyed.ts.
import type { MergeGroupIntent } from "../domain/intent.ts";
import type { RunTarget } from "../domain/run-target.ts";
import { runDirOf } from "../domain/run-target.ts";
import { pullKey, type ProjectRunResult } from "../domain/types.ts";
import type { RepoGitHub } from "../github/port.ts";
import { effectiveGates } from "../policy/gates.ts";
import { planMustMatchApproval } from "../policy/plan-match.ts";
import { decideGroupApply, groupApproved, projectStep, type GroupPull } from "../policy/merge-group.ts";
import { finishPlanCheck, startPlanChecks, writeConfigCheck } from "../presentation/plan-checks.ts";
import { renderConfigCheck } from "../presentation/render/config-check.ts";
import { renderPlanComment } from "../presentation/render/plan-comment.ts";
import { writeStickyComment } from "../presentation/sticky-comment.ts";
import {
  renderGroupApplyCheck,
  renderGroupApplyFailed,
  renderGroupApprovalCheck,
  renderUntouchedCheck,
  type RenderedCheck,
} from "../presentation/render/merge-group-checks.ts";
import { affectedProjects } from "../projects/affected-projects.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { planProject } from "../runner/plan-project.ts";
import { createRedactor, secretValues } from "../runner/redact.ts";
import { changedFiles, firstParentSubjects } from "../workspace/changed-files.ts";
import { evaluatePullApprovals, loadPullConfigs, usesApprovals } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";
import { CONFIG_FILE, readConfigText } from "./load-configs.ts";
import { runMergeGroupDestroyed } from "./merge-group-destroyed.ts";
import { notRun, runAtCommit } from "./run-at-commit.ts";

/** A long apply of the same project elsewhere (a drift repair) is waited for, within reason. */
const MUTEX_WAIT_MS = 30 * 60 * 1000;

export type MergeGroupOutcome =
  | { outcome: "not_slipway" }
  | { outcome: "gone" }
  | { outcome: "config_error" }
  | { outcome: "checked"; pulls: number[]; plans: Record<string, string>; approved: boolean; apply: string; applied: Record<string, string> }
  | { outcome: "destroyed"; notified: boolean };

interface Group {
  intent: MergeGroupIntent;
  deps: JobDeps;
  gh: RepoGitHub;
  repoName: string;
  worktreePath: string;
  config: RepoConfig;
  base: RepoConfig | undefined;
  target: RunTarget;
}

export async function runMergeGroupJob(intent: MergeGroupIntent, deps: JobDeps): Promise<MergeGroupOutcome> {
  if (intent.action === "destroyed") return runMergeGroupDestroyed(intent, deps);
  const repoName = `${intent.repo.owner}/${intent.repo.name}`;
  // The group may have left the queue before this job ran (another required check failed first).
  if (await deps.deploys.queueGroupGone(repoName, intent.headSha)) return { outcome: "gone" };
  const log = deps.log.child({ delivery: intent.deliveryId, repo: repoName, group: intent.headRef, sha: intent.headSha });
  const gh = await deps.github.forRepo(intent.repo);
  const token = await gh.token();
  const worktree = await deps.workspaces.checkout({
    owner: intent.repo.owner,
    repo: intent.repo.name,
    token,
    sha: intent.headSha,
    refs: [`refs/heads/${intent.headRef}`, `refs/heads/${intent.baseRef}`],
  });
  try {
    const headText = await readConfigText(worktree.path);
    if (headText === null) return { outcome: "not_slipway" };
    const head = parseRepoConfig(headText, CONFIG_FILE);
    if (!head.ok) {
      await writeConfigCheck(gh, intent.headSha, renderConfigCheck(head.errors));
      return { outcome: "config_error" };
    }
    // Gates come from the base branch as the group found it, never from the group's own commit.
    const baseText = await deps.workspaces.readFileAt({ owner: intent.repo.owner, repo: intent.repo.name, token, rev: intent.baseSha, path: CONFIG_FILE });
    const baseParsed = baseText === null ? null : parseRepoConfig(baseText, CONFIG_FILE);
    const base = baseParsed?.ok ? baseParsed.config : undefined;
    const target: RunTarget = {
      repo: intent.repo,
      sha: intent.headSha,
      purpose: "queue",
      ...(intent.pullNumber !== undefined ? { pull: intent.pullNumber } : {}),
    };
    const g: Group = { intent, deps: { ...deps, log }, gh, repoName, worktreePath: worktree.path, config: head.config, base, target };
    return await checkGroup(g);
  } finally {
    await worktree.remove();
  }
}

async function checkGroup(g: Group): Promise<MergeGroupOutcome> {
  const { intent, config } = g;
  const pulls = await groupPulls(g);
  const changed = await changedFiles(g.worktreePath, intent.headSha, intent.baseSha);
  const projects = affectedProjects(config, changed);
  const plans = await planGroup(g, projects, pulls);
  const evaluations = await approvalsOf(g, pulls);
  const approved = groupApproved(evaluations);
  if (usesApprovals(config, g.base)) await writeCheck(g, renderGroupApprovalCheck(evaluations, intent.headSha));
  const gates = effectiveGates(g.base, undefined);
  const decision = decideGroupApply({ mode: gates.mode, pulls, plans, approved });
  await reportUntouched(g, projects, gates.mode === "in_merge_queue");
  const applied: Record<string, string> = {};
  if (decision.kind === "refuse") {
    for (const p of plans) await writeCheck(g, renderGroupApplyCheck(p.project, intent.headSha, "failure", decision.reason));
  } else if (decision.kind === "apply") {
    Object.assign(applied, await applyGroup(g, projects, plans));
  }
  const outcome = {
    outcome: "checked" as const,
    pulls,
    plans: Object.fromEntries(plans.map((p) => [p.project, p.status])),
    approved,
    apply: decision.kind,
    applied,
  };
  g.deps.log.info(outcome, "merge group checked");
  return outcome;
}

/**
 * Required checks are named per project, and the queue waits for every required one: a group
 * that does not touch a project still gets its checks (neutral), or it would wait until the
 * queue's timeout.
 */
async function reportUntouched(g: Group, touched: ProjectConfig[], applies: boolean): Promise<void> {
  const untouched = g.config.projects.filter((p) => !touched.some((t) => t.name === p.name));
  for (const project of untouched) {
    await writeCheck(g, renderUntouchedCheck(`slipway/plan: ${project.name}`, g.intent.headSha));
    if (applies) await writeCheck(g, renderUntouchedCheck(`slipway/apply: ${project.name}`, g.intent.headSha));
  }
}

/**
 * The pull requests of the group: GitHub merges each on top of the one before (a merge commit
 * "Merge pull request #N …", or a squash "… (#N)"), and names the last one in the head ref.
 */
async function groupPulls(g: Group): Promise<number[]> {
  const found = new Set<number>();
  for (const subject of (await firstParentSubjects(g.worktreePath, g.intent.baseSha, g.intent.headSha)).reverse()) {
    const m = /^Merge pull request #(\d+)\b/.exec(subject) ?? /\(#(\d+)\)$/.exec(subject);
    if (m) found.add(Number(m[1]));
  }
  if (g.intent.pullNumber !== undefined) found.add(g.intent.pullNumber);
  return [...found];
}

/** Plans each project at the group's commit; a lock held by a pull request outside the group is a conflict. */
async function planGroup(g: Group, projects: ProjectConfig[], pulls: number[]): Promise<ProjectRunResult[]> {
  const { deps, gh, intent } = g;
  if (projects.length === 0) return [];
  const key = `${g.repoName}@queue`;
  const checks = await startPlanChecks(
    gh,
    deps.openChecks,
    key,
    intent.headSha,
    projects.map((p) => p.name),
  );
  const redact = createRedactor(secretValues(deps.stepEnv, deps.secretEnvNames));
  const runDir = runDirOf(deps.dataDir, g.target);
  const results: ProjectRunResult[] = [];
  for (const project of projects) {
    const holder = await deps.locks.holder({ owner: intent.repo.owner, repo: intent.repo.name, project: project.name });
    const result =
      holder && !pulls.includes(holder.pull)
        ? {
            ...notRun(project, `locked by #${holder.pull}: one pull request at a time may change a project, and #${holder.pull} is not in this merge group.`),
            status: "locked" as const,
          }
        : await planProject({
            config: g.config,
            project,
            target: g.target,
            worktreePath: g.worktreePath,
            runDir,
            env: deps.stepEnv,
            redact,
            defaultTimeoutMs: deps.stepTimeoutMs,
            signal: new AbortController().signal,
          });
    deps.log.info({ project: project.name, status: result.status }, "group project planned");
    await deps.audit.record({
      kind: "plan",
      actor: "slipway",
      repo: g.repoName,
      sha: intent.headSha,
      project: project.name,
      ...(project.environment ? { environment: project.environment } : {}),
      outcome: result.status,
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.planDigest ? { plan_digest: result.planDigest } : {}),
      delivery: intent.deliveryId,
      via: "queue",
    });
    results.push(result);
  }
  await Promise.all(results.map((r, i) => finishPlanCheck(gh, deps.openChecks, key, checks[i]!, r, intent.headSha)));
  return results;
}

/** Each pull request's approvals at its own head, under its own gates (reused from the pull request's check). */
async function approvalsOf(g: Group, pulls: number[]): Promise<GroupPull[]> {
  const out: GroupPull[] = [];
  for (const number of pulls) {
    const pull = await g.gh.getPull(number);
    const configs = await loadPullConfigs(g.deps, g.gh, pull.facts);
    out.push({ number, headSha: pull.facts.headSha, evaluation: await evaluatePullApprovals(g.deps, g.gh, pull.facts, configs.gates) });
  }
  return out;
}

/** Applies the group's plans at its commit in depends_on order; `manual` environments wait for after the merge. */
async function applyGroup(g: Group, projects: ProjectConfig[], plans: ProjectRunResult[]): Promise<Record<string, string>> {
  const { deps, intent } = g;
  const gates = effectiveGates(g.base, undefined);
  const outcomes = new Map<string, "applied" | "waiting" | "failed">();
  const shown: Record<string, string> = {};
  const results: ProjectRunResult[] = [];
  const notes: string[] = [];
  const ordered = applyOrder(projects, g.config.projects).flat();
  for (const name of ordered) {
    const project = projects.find((p) => p.name === name)!;
    const plan = plans.find((p) => p.project === name)!;
    const upstream = project.depends_on.filter((d) => outcomes.has(d)).map((d) => ({ name: d, outcome: outcomes.get(d)! }));
    const approved = planMustMatchApproval(project, g.config) ? { digest: await approvedDigest(g, name) } : undefined;
    const step = projectStep(plan, project.environment ? gates.environment(project.environment) : undefined, upstream, approved);
    if (step.kind === "skip") {
      await writeCheck(g, renderGroupApplyCheck(name, intent.headSha, step.conclusion, step.reason));
      outcomes.set(name, step.conclusion === "failure" ? "failed" : plan.status === "no_changes" ? "applied" : "waiting");
      shown[name] = step.conclusion === "failure" ? "blocked" : "not_applied";
      notes.push(`\`${name}\`: ${step.reason}`);
      continue;
    }
    const run = await runAtCommit(deps, g.gh, {
      target: g.target,
      config: g.config,
      project,
      worktreePath: g.worktreePath,
      // The plan file the plan check shows, made a moment ago at this very commit.
      plan: { kind: "saved", restore: async () => true },
      guard: async () =>
        (await deps.deploys.recordQueueAttempt(g.repoName, intent.headSha, name))
          ? undefined
          : notRun(project, "not applied: the group left the merge queue", "superseded"),
      record: async (result) => {
        // Recorded before the check completes: the queue merges once the check passes, and the
        // deploy of that commit must already know not to apply it again.
        if (result.status === "changes" || result.status === "no_changes") await deps.deploys.recordQueueApplied(g.repoName, intent.headSha, name);
      },
      waitMs: MUTEX_WAIT_MS,
      audit: { actor: "slipway", via: "queue", delivery: intent.deliveryId, ...(plan.planDigest ? { planDigest: plan.planDigest } : {}) },
    });
    const result = "busy" in run ? notRun(project, "not applied: another apply of this project did not finish in time") : run.result;
    if (result.status === "superseded") {
      deps.log.info({ project: name }, "the group left the queue: nothing more of it is applied");
      break;
    }
    if ("busy" in run) await writeCheck(g, renderGroupApplyCheck(name, intent.headSha, "failure", result.reason ?? "busy"));
    const ok = result.status === "changes" || result.status === "no_changes";
    outcomes.set(name, ok ? "applied" : "failed");
    shown[name] = ok ? "applied" : "failed";
    results.push(result);
    if (!ok) await tellApplyFailed(g, result);
  }
  await showApplies(g, results, notes);
  return shown;
}

/** The apply outputs on the pull request's sticky comment, as a deploy shows them after a merge. */
async function showApplies(g: Group, results: ProjectRunResult[], notes: string[]): Promise<void> {
  const number = g.intent.pullNumber;
  if (number === undefined || results.length === 0) return;
  const body = renderPlanComment({
    pr: number,
    headSha: g.intent.headSha,
    results,
    notes: [`Applied in the merge queue at ${g.intent.headSha.slice(0, 7)}, before merging.`, ...notes],
    phase: "apply",
  });
  await writeStickyComment(g.gh, g.deps.sticky, { key: pullKey({ repo: g.intent.repo, number }), number }, body);
}

/** The digest of the plan the pull request's approvals were given for: its last plan at its head. */
async function approvedDigest(g: Group, project: string): Promise<string | undefined> {
  if (g.intent.pullNumber === undefined) return undefined;
  const plan = await g.deps.plans.get(pullKey({ repo: g.intent.repo, number: g.intent.pullNumber }));
  const entry = plan?.projects[project];
  return entry && entry.headSha === plan!.headSha ? entry.result.planDigest : undefined;
}

/** The queue takes the pull request out on the failed check; the pull request says why. */
async function tellApplyFailed(g: Group, result: ProjectRunResult): Promise<void> {
  if (g.intent.pullNumber === undefined) return;
  await g.gh.createComment(g.intent.pullNumber, renderGroupApplyFailed(result, g.intent.headSha, g.intent.baseRef));
}

async function writeCheck(g: Group, check: RenderedCheck): Promise<void> {
  await g.gh.createCheckRun({
    name: check.name,
    headSha: g.intent.headSha,
    status: "completed",
    conclusion: check.conclusion,
    output: { title: check.title, summary: check.summary, ...(check.text ? { text: check.text } : {}) },
  });
}
