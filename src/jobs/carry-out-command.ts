// Carries out a command the policy allowed (policy/command-decisions.ts), exactly as decided,
// and returns the reply it deserves, if any. No decision is made here.
import type { CommentIntent } from "../domain/intent.ts";
import type { RepoGitHub } from "../github/port.ts";
import type { CommandAction } from "../policy/command-decisions.ts";
import { renderHelp, renderRefusal } from "../presentation/render/command-reply.ts";
import { approvalOf, evaluatePullApprovals, readPlan, recordApproval, withdrawApprovals } from "./approval-status.ts";
import type { CommandDeps, PullScene } from "./command-scene.ts";
import { releaseLocks } from "./release-locks.ts";
import { openRevertPull } from "./revert-pull.ts";

export interface CommandContext {
  deps: CommandDeps;
  gh: RepoGitHub;
  intent: CommentIntent;
}

/** An allowed command on a pull request. */
export async function carryOutOnPull(action: CommandAction, ctx: CommandContext, scene: PullScene): Promise<string | undefined> {
  const { deps, gh, intent } = ctx;
  const pull = scene.pull.facts;
  switch (action.kind) {
    case "plan":
      await deps.dispatcher.plan({
        kind: "plan",
        deliveryId: intent.deliveryId,
        trigger: "command",
        pull,
        projects: action.projects,
        requestedBy: intent.user,
      });
      return undefined;
    case "approve":
      await recordApproval(deps, gh, pull, scene.configs, approvalOf(intent.user, action, "command"), intent.deliveryId);
      return undefined;
    case "approve_cancel":
      await withdrawApprovals(deps, gh, pull, scene.configs, intent.user, { via: "comment", delivery: intent.deliveryId });
      return undefined;
    case "apply":
      await deps.dispatcher.apply({ kind: "apply", deliveryId: intent.deliveryId, pull, projects: action.projects, requestedBy: intent.user });
      return undefined;
    case "release":
      await deps.dispatcher.deploy({
        kind: "deploy",
        deliveryId: intent.deliveryId,
        repo: intent.repo,
        sha: action.sha,
        pullNumber: pull.number,
        release: { environment: action.environment, by: intent.user },
      });
      return undefined;
    case "unlock":
      return unlock(ctx, pull.number, action.projects);
    case "rollback":
      return rollback(ctx, scene, action.mergeSha);
    case "help":
      return help(ctx, scene);
    case "repair_drift":
      throw new Error("a drift repair was decided for a pull request");
  }
}

/** An allowed command on a drift issue: the only one there is the repair. */
export async function carryOutOnDriftIssue(action: CommandAction, ctx: CommandContext, branch: string): Promise<void> {
  if (action.kind !== "repair_drift") throw new Error(`${action.kind} was decided for a drift issue`);
  const { intent } = ctx;
  await ctx.deps.dispatcher.drift({
    kind: "drift",
    deliveryId: intent.deliveryId,
    repo: intent.repo,
    branch,
    remediate: { project: action.project, by: intent.user, issueNumber: intent.pullNumber },
  });
}

/** An allowed command on a release issue: the only one there is the release of an environment. */
export async function carryOutOnReleaseIssue(action: CommandAction, ctx: CommandContext): Promise<void> {
  if (action.kind !== "release") throw new Error(`${action.kind} was decided for a release issue`);
  const { intent } = ctx;
  // The same deploy job as a release on a merged pull request, for a commit without one.
  await ctx.deps.dispatcher.deploy({
    kind: "deploy",
    deliveryId: intent.deliveryId,
    repo: intent.repo,
    sha: action.sha,
    release: { environment: action.environment, by: intent.user },
  });
}

async function unlock(ctx: CommandContext, pullNumber: number, projects: string[]): Promise<string> {
  const released = await releaseLocks(ctx.deps, ctx.gh, ctx.intent.repo, pullNumber, projects, ctx.intent.deliveryId, {
    actor: ctx.intent.user,
    via: "comment",
    reason: "/unlock",
  });
  return released.length > 0
    ? `Unlocked ${released.map((p) => `\`${p}\``).join(", ")}: other pull requests waiting for them are planned again.`
    : "This pull request holds no lock to release.";
}

async function rollback(ctx: CommandContext, scene: PullScene, mergeSha: string): Promise<string | undefined> {
  const pull = scene.pull.facts;
  try {
    await openRevertPull(ctx.deps, ctx.gh, {
      repo: ctx.intent.repo,
      pullNumber: pull.number,
      mergeSha,
      baseRef: pull.baseRef,
      reason: `rollback requested by @${ctx.intent.user}`,
      by: { actor: ctx.intent.user, via: "comment", delivery: ctx.intent.deliveryId },
    });
    return undefined;
  } catch (error) {
    // A conflicting revert is an outcome to tell, not a fault: git could not do it, a human can.
    if ((error as { code?: string }).code !== "revert_conflict") throw error;
    return renderRefusal("/rollback", `${(error as Error).message}. Revert it by hand.`);
  }
}

async function help(ctx: CommandContext, scene: PullScene): Promise<string> {
  const pull = scene.pull.facts;
  const plan = await readPlan(ctx.deps, pull);
  const evaluation = await evaluatePullApprovals(ctx.deps, ctx.gh, pull, scene.configs.gates);
  const locks = await ctx.deps.locks.listForRepo({ owner: pull.repo.owner, repo: pull.repo.name });
  const touched = new Set(plan?.projects.map((p) => p.name));
  return renderHelp({
    headSha: pull.headSha,
    apply: scene.configs.gates.mode,
    projects: (plan?.projects ?? []).map((p) => ({
      name: p.name,
      environment: p.environment,
      result: p.headSha === pull.headSha ? p.status.replace("_", " ") : `planned at ${p.headSha.slice(0, 7)}, not at the head`,
    })),
    approvals: evaluation?.perEnvironment.map((e) => ({ environment: e.name, approvedBy: e.approvedBy, required: e.required })),
    locks: locks.filter((l) => touched.has(l.project) && l.holder.pull !== pull.number).map((l) => ({ project: l.project, heldByPr: l.holder.pull })),
  });
}
