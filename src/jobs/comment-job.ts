// A pull request comment with commands: parse, authorize, acknowledge (👀), carry out. Every
// refusal gets a reply saying why; the comment, the reply and the checks are the audit trail.
import type { Command } from "../commands/command-types.ts";
import { parseCommands } from "../commands/parse-commands.ts";
import type { CommentIntent, PullFacts } from "../domain/intent.ts";
import type { PullStatus, RepoGitHub } from "../github/port.ts";
import { isApprover, type Approval } from "../policy/approvals.ts";
import { decideApply } from "../policy/apply-gate.ts";
import { effectiveGates, type Gates } from "../policy/gates.ts";
import { commandLabel, decideCommand } from "../policy/permissions.ts";
import { describeMissing } from "../presentation/render/approval-check.ts";
import { renderCommandErrors, renderHelp, renderRefusal } from "../presentation/render/command-reply.ts";
import { pullKey } from "../domain/types.ts";
import { parseRepoConfig } from "../repo-config/parse-repo-config.ts";
import type { RepoConfig } from "../repo-config/schema.ts";
import { evaluatePullApprovals, publishApprovalCheck, repoPermission, teamsOfUser } from "./approval-status.ts";
import type { JobDeps } from "./deps.ts";
import { loadConfigs, validConfig } from "./load-configs.ts";
import { releaseLocks } from "./release-locks.ts";
import { openRevertPull } from "./revert-pull.ts";

interface Context {
  deps: JobDeps;
  log: JobDeps["log"];
  gh: RepoGitHub;
  intent: CommentIntent;
  pull: PullStatus;
  head?: RepoConfig;
  gates: Gates;
  replies: string[];
}

export async function runCommentJob(intent: CommentIntent, deps: JobDeps): Promise<{ ran: string[]; refused: number }> {
  const log = deps.log.child({ delivery: intent.deliveryId, pr: `${intent.repo.owner}/${intent.repo.name}#${intent.pullNumber}`, user: intent.user });
  const gh = await deps.github.forRepo(intent.repo);
  if (intent.driftProject !== undefined) return driftCommand(intent, intent.driftProject, deps, gh);
  const pull = await gh.getPull(intent.pullNumber);
  const token = await gh.token();
  const configs = await loadConfigs(deps.workspaces, { pull: pull.facts, token });
  const head = validConfig(configs.head);
  const base = validConfig(configs.base);
  const parsed = parseCommands(intent.body, {
    knownProjects: head?.projects.map((p) => p.name),
    knownEnvironments: head ? [...new Set([...Object.keys(head.environments), ...head.projects.flatMap((p) => (p.environment ? [p.environment] : []))])] : undefined,
  });
  const ctx: Context = { deps, log, gh, intent, pull, head, gates: effectiveGates(base, head), replies: [] };
  // Every line that looks like a command and is not one is answered, with the valid commands:
  // a typo must never pass for a command that silently did nothing.
  const errors = parsed.errors;
  if (errors.length > 0) ctx.replies.push(renderCommandErrors(errors));

  const ran: string[] = [];
  let refused = errors.length;
  if (parsed.commands.length > 0) {
    const level = await repoPermission(deps, gh, intent.user);
    const allowed = parsed.commands.filter((command) => {
      const decision = decideCommand({ user: intent.user, command: command.kind, level });
      if (!decision.allow) {
        log.info({ command: command.kind, level, sha: pull.facts.headSha }, "command refused: permission");
        ctx.replies.push(renderRefusal(commandLabel(command.kind), decision.reason));
      }
      return decision.allow;
    });
    refused += parsed.commands.length - allowed.length;
    if (allowed.length > 0) await gh.addReaction(intent.commentId, "eyes");
    for (const command of allowed) {
      log.info({ command: command.kind, sha: pull.facts.headSha }, "command accepted");
      await carryOut(ctx, command);
      ran.push(command.kind);
    }
  }
  if (ctx.replies.length > 0) await gh.createComment(intent.pullNumber, ctx.replies.join("\n"));
  return { ran, refused };
}

/**
 * A comment on a drift issue: `/apply` by an approver of the project's environment repairs the
 * drift (the drift job re-plans and applies it, under the locks). Other commands are refused.
 */
async function driftCommand(intent: CommentIntent, project: string, deps: JobDeps, gh: RepoGitHub): Promise<{ ran: string[]; refused: number }> {
  const parsed = parseCommands(intent.body);
  const reply = (text: string) => gh.createComment(intent.pullNumber, text);
  if (parsed.errors.length > 0) await reply(renderCommandErrors(parsed.errors));
  const command = parsed.commands[0];
  if (!command) return { ran: [], refused: parsed.errors.length };
  if (command.kind !== "apply" || command.targets.length > 0) {
    await reply(renderRefusal(commandLabel(command.kind), "on a drift issue, only a bare `/apply` (repair the drift) is understood."));
    return { ran: [], refused: 1 };
  }
  const level = await repoPermission(deps, gh, intent.user);
  const decision = decideCommand({ user: intent.user, command: "apply", level });
  const token = await gh.token();
  const repoInfo = { owner: intent.repo.owner, repo: intent.repo.name, token };
  const branch = intent.defaultBranch ?? "main";
  const text = await deps.workspaces.readFileAt({ ...repoInfo, rev: await deps.workspaces.branchHead({ ...repoInfo, branch }), path: ".slipway.yml" });
  const parsedConfig = text === null ? null : parseRepoConfig(text, ".slipway.yml");
  const config = parsedConfig?.ok ? parsedConfig.config : null;
  const environment = config?.projects.find((p) => p.name === project)?.environment;
  const gate = effectiveGates(config ?? undefined, undefined).environment(environment ?? "");
  const teams = await teamsOfUser(deps, gh, intent.user, [gate.approvers, ...(gate.alsoApprovers ?? [])].flat());
  const reason = !decision.allow
    ? decision.reason
    : environment && !isApprover(intent.user, gate, { [intent.user]: teams })
      ? `@${intent.user} is not an approver of \`${environment}\`, which \`${project}\` belongs to.`
      : undefined;
  if (reason) {
    await reply(renderRefusal("/apply", reason));
    return { ran: [], refused: 1 };
  }
  await gh.addReaction(intent.commentId, "eyes");
  await deps.dispatcher.drift({ kind: "drift", deliveryId: intent.deliveryId, repo: intent.repo, branch, remediate: { project, by: intent.user, issueNumber: intent.pullNumber } });
  return { ran: ["apply"], refused: 0 };
}

async function carryOut(ctx: Context, command: Command): Promise<void> {
  const { deps, intent, pull } = ctx;
  const facts = pull.facts;
  const refuse = (reason: string) => {
    ctx.log.info({ command: command.kind, sha: facts.headSha, reason }, "command refused");
    ctx.replies.push(renderRefusal(commandLabel(command.kind), reason));
  };
  if (pull.merged && command.kind === "apply") return releaseEnvironment(ctx, command.targets, refuse);
  // A merged pull request may still hold a lock: the one an interrupted deploy leaves.
  if (pull.state !== "open" && command.kind !== "help" && command.kind !== "rollback" && command.kind !== "unlock") {
    return void refuse(pull.merged ? "the pull request is merged: only `/apply <environment>` (release a waiting environment) applies now." : "the pull request is closed.");
  }
  switch (command.kind) {
    case "plan":
      await deps.dispatcher.plan({ kind: "plan", deliveryId: intent.deliveryId, trigger: "command", pull: facts, projects: command.projects.length > 0 ? command.projects : undefined, requestedBy: intent.user });
      return;
    case "approve":
      return approve(ctx, facts, command.environments, refuse);
    case "approve_cancel":
      await deps.approvals.withdraw(pullKey(facts), intent.user);
      await publishApprovalCheck(deps, ctx.gh, facts, ctx.gates);
      return;
    case "unlock": {
      const released = await releaseLocks(deps, ctx.gh, facts.repo, facts.number, command.projects, intent.deliveryId);
      ctx.replies.push(released.length > 0 ? `Unlocked ${released.map((p) => `\`${p}\``).join(", ")}: other pull requests waiting for them are planned again.` : "This pull request holds no lock to release.");
      return;
    }
    case "apply":
      return apply(ctx, facts, command.targets, refuse);
    case "rollback":
      return rollback(ctx, refuse);
    case "help":
      ctx.replies.push(await help(ctx, facts));
      return;
  }
}

async function approve(ctx: Context, facts: PullFacts, named: string[], refuse: (reason: string) => void): Promise<void> {
  const { deps, intent } = ctx;
  const plan = await deps.plans.get(pullKey(facts));
  if (!plan || plan.headSha !== facts.headSha) {
    return void refuse(`the head commit ${facts.headSha.slice(0, 7)} is not planned yet: approve once its plan is done.`);
  }
  const digests: Record<string, string> = {};
  for (const p of Object.values(plan.projects)) if (p.headSha === facts.headSha && p.result.planDigest) digests[p.result.project] = p.result.planDigest;
  const approval: Approval = { user: intent.user, environments: named.length > 0 ? named : "all", headSha: facts.headSha, planDigests: digests, source: "command", at: Date.now() };
  await deps.approvals.record(pullKey(facts), approval);
  await publishApprovalCheck(deps, ctx.gh, facts, ctx.gates);
}

async function apply(ctx: Context, facts: PullFacts, targets: string[], refuse: (reason: string) => void): Promise<void> {
  const { deps, intent, pull } = ctx;
  const plan = await deps.plans.get(pullKey(facts));
  const planned = Object.values(plan?.projects ?? {}).map((p) => ({ name: p.result.project, headSha: p.headSha, status: p.result.status, appliedSha: p.appliedSha, environment: p.result.environment }));
  // `/apply production` names an environment: its planned projects.
  const environments = new Set(planned.map((p) => p.environment).filter(Boolean));
  const requested = targets.length === 1 && environments.has(targets[0]) ? planned.filter((p) => p.environment === targets[0]).map((p) => p.name) : targets;
  const evaluation = await evaluatePullApprovals(deps, ctx.gh, facts, ctx.gates);
  const decision = decideApply({
    mode: ctx.gates.mode,
    pullOpen: pull.state === "open",
    headSha: facts.headSha,
    requested,
    planned,
    approvalsSatisfied: evaluation?.satisfied ?? false,
    approvalsMissing: evaluation ? describeMissing(evaluation) : ["the plan of the head commit is not known"],
    mergeable: pull.mergeable,
  });
  if (!decision.allow) return void refuse(decision.reason);
  await deps.dispatcher.apply({ kind: "apply", deliveryId: intent.deliveryId, pull: facts, projects: decision.projects, requestedBy: intent.user });
}

async function rollback(ctx: Context, refuse: (reason: string) => void): Promise<void> {
  const { pull, intent } = ctx;
  if (!pull.merged || !pull.mergeCommitSha) return void refuse("only a merged pull request can be rolled back.");
  try {
    await openRevertPull(ctx.deps, ctx.gh, { repo: intent.repo, pullNumber: pull.facts.number, mergeSha: pull.mergeCommitSha, baseRef: pull.facts.baseRef, reason: `rollback requested by @${intent.user}` });
  } catch (error) {
    if ((error as { code?: string }).code !== "revert_conflict") throw error;
    refuse(`${(error as Error).message}. Revert it by hand.`);
  }
}

/** `/apply <environment>` on a merged pull request: an approver releases a waiting environment. */
async function releaseEnvironment(ctx: Context, targets: string[], refuse: (reason: string) => void): Promise<void> {
  const { deps, intent, pull } = ctx;
  const sha = pull.mergeCommitSha;
  const environment = targets.length === 1 ? targets[0]! : undefined;
  if (!sha || !environment) return void refuse("name the environment to release, as in `/apply production`.");
  const repo = `${intent.repo.owner}/${intent.repo.name}`;
  const deploy = await deps.deploys.get(repo, sha);
  const env = deploy?.environments[environment];
  if (!env) return void refuse(`the deploy of ${sha.slice(0, 7)} has no environment \`${environment}\`.`);
  if (env.state !== "waiting") return void refuse(`\`${environment}\` is not waiting for a release (it is ${env.state.replace("_", " ")}).`);
  const gate = ctx.gates.environment(environment);
  const teams = await teamsOfUser(deps, ctx.gh, intent.user, [gate.approvers, ...(gate.alsoApprovers ?? [])].flat());
  if (!isApprover(intent.user, gate, { [intent.user]: teams })) {
    return void refuse(`@${intent.user} is not an approver of \`${environment}\` (approvers: ${gate.approvers.join(", ")}).`);
  }
  await deps.dispatcher.deploy({ kind: "deploy", deliveryId: intent.deliveryId, repo: intent.repo, sha, pullNumber: pull.facts.number, release: { environment, by: intent.user } });
}

async function help(ctx: Context, facts: PullFacts): Promise<string> {
  const plan = await ctx.deps.plans.get(pullKey(facts));
  const evaluation = await evaluatePullApprovals(ctx.deps, ctx.gh, facts, ctx.gates);
  const locks = await ctx.deps.locks.listForRepo({ owner: facts.repo.owner, repo: facts.repo.name });
  const touched = new Set(Object.keys(plan?.projects ?? {}));
  return renderHelp({
    headSha: facts.headSha,
    apply: ctx.gates.mode,
    projects: Object.values(plan?.projects ?? {}).map((p) => ({
      name: p.result.project,
      environment: p.result.environment,
      result: p.headSha === facts.headSha ? p.result.status.replace("_", " ") : `planned at ${p.headSha.slice(0, 7)}, not at the head`,
    })),
    approvals: evaluation?.perEnvironment.map((e) => ({ environment: e.name, approvedBy: e.approvedBy, required: e.required })),
    locks: locks.filter((l) => touched.has(l.project) && l.holder.pull !== facts.number).map((l) => ({ project: l.project, heldByPr: l.holder.pull })),
  });
}
