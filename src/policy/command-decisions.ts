// Where every command is decided: facts in (who, the pull request, its plan and approvals, the
// base branch's gates, a deploy, a drift issue — command-facts.ts), one decision out: allow, with
// what to do, or refuse, with the reason the reply gives. Pure; the jobs gather the facts and
// carry the decision out (jobs/comment-job.ts, jobs/review-job.ts). The rules, in order:
//
// 1. Only users with at least write permission run commands (SPEC §5) — anywhere.
// 2. On a drift issue, a bare `/apply` by an approver of the project's environment repairs it; on
//    the release issue of a direct push, `/apply <environment>` releases a waiting environment.
// 3. On a merged pull request, `/apply <environment>` releases a waiting environment; on a merged
//    or closed one, only `/help`, `/rollback` and `/unlock` (a lock an interrupted deploy left) run.
// 4. Each command's own rules: `/plan` never runs fork code the base branch does not allow
//    (autoplan.ts); `/approve` (approve-decisions.ts); `/apply` (apply-decisions.ts).
//
// An allowed command that changes nothing carries an `answer` for the reply (SPEC §7).
import type { Command } from "../commands/command-types.ts";
import { decideApplyBeforeMerge, decideDriftRepair, decideRelease, decideReleaseOnIssue } from "./apply-decisions.ts";
import { decideApprove, decideApproveCancel } from "./approve-decisions.ts";
import { decideAutoplan } from "./autoplan.ts";
import {
  allow,
  refuse,
  type CommandDecision,
  type CommandFacts,
  type DriftIssueFacts,
  type PullCommandFacts,
  type ReleaseIssueFacts,
} from "./command-facts.ts";
import { permissionRefusal } from "./permissions.ts";

export { decideReview, type ReviewFacts } from "./approve-decisions.ts";
export type {
  Actor,
  ApproveAction,
  CommandAction,
  CommandDecision,
  CommandFacts,
  DeployFacts,
  DriftIssueFacts,
  PullCommandFacts,
  PullRequestFacts,
  ReleaseIssueFacts,
} from "./command-facts.ts";

export function decideCommand(command: Command, facts: CommandFacts): CommandDecision {
  const refusal = permissionRefusal(facts.actor.login, command.kind, facts.actor.permission);
  if (refusal) return refuse(refusal);
  if (facts.on === "release_issue") return onReleaseIssue(command, facts);
  return facts.on === "drift_issue" ? onDriftIssue(command, facts) : onPullRequest(command, facts);
}

function onReleaseIssue(command: Command, f: ReleaseIssueFacts): CommandDecision {
  if (command.kind !== "apply") return refuse("on a release issue, only `/apply <environment>` (release a waiting environment) is understood.");
  return decideReleaseOnIssue(command.targets, f);
}

function onDriftIssue(command: Command, f: DriftIssueFacts): CommandDecision {
  if (command.kind !== "apply") return refuse("on a drift issue, only a bare `/apply` (repair the drift) is understood.");
  return decideDriftRepair(command.targets, f);
}

function onPullRequest(command: Command, f: PullCommandFacts): CommandDecision {
  if (f.pull.merged && command.kind === "apply") return decideRelease(command.targets, f);
  // A merged pull request may still hold a lock: the one an interrupted deploy leaves.
  if (f.pull.state !== "open" && command.kind !== "help" && command.kind !== "rollback" && command.kind !== "unlock") {
    return refuse(
      f.pull.merged ? "the pull request is merged: only `/apply <environment>` (release a waiting environment) applies now." : "the pull request is closed.",
    );
  }
  switch (command.kind) {
    case "plan":
      return decidePlan(command.projects, f);
    case "approve":
      return decideApprove(command.environments, f);
    case "approve_cancel":
      return decideApproveCancel(f);
    case "apply":
      return decideApplyBeforeMerge(command.targets, f);
    case "unlock":
      return allow({ kind: "unlock", projects: command.projects });
    case "rollback":
      return f.pull.merged && f.pull.mergeCommitSha
        ? allow({ kind: "rollback", mergeSha: f.pull.mergeCommitSha })
        : refuse("only a merged pull request can be rolled back.");
    case "help":
      return allow({ kind: "help" });
  }
}

/** `/plan` plans drafts and repositories with `autoplan: false`; never a fork the base does not allow. */
function decidePlan(projects: string[], f: PullCommandFacts): CommandDecision {
  const plan = decideAutoplan({ trigger: "command", draft: false, fromFork: f.pull.fromFork, baseAllowsForks: f.baseAllowsForks, autoplan: true });
  if (!plan.plan) {
    return refuse(
      "this pull request comes from a fork, and `allow_forks` is not true in `.slipway.yml` on the base branch: Slipway does not run code from forks.",
    );
  }
  return allow({ kind: "plan", ...(projects.length > 0 ? { projects } : {}) });
}

/** Which optional facts a command's decision reads, so the job looks up only those. */
export interface NeededFacts {
  /** The actor's memberships of the teams the gates name. */
  teams: boolean;
  /** Whether the actor has an approval recorded. */
  ownApproval: boolean;
  /** The head's approval evaluation. */
  approvals: boolean;
  /** The deploy of the merge commit. */
  deploy: boolean;
}

export function factsNeeded(command: Command, where: { on: "pull_request"; merged: boolean } | { on: "drift_issue" }): NeededFacts {
  const apply = command.kind === "apply";
  const merged = where.on === "pull_request" && where.merged;
  return {
    teams: command.kind === "approve" || (apply && (where.on === "drift_issue" || merged)),
    ownApproval: command.kind === "approve_cancel",
    approvals: apply && where.on === "pull_request" && !merged,
    deploy: apply && merged,
  };
}
