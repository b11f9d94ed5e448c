// What a command decision reads and what it returns (see command-decisions.ts). Plain data: the
// job gathers the facts from GitHub and Redis, the policy only reads them.
import type { ApprovalEvaluation } from "./approvals.ts";
import type { EnvironmentGate } from "./approvers.ts";
import type { Gates } from "./gates.ts";
import type { PermissionLevel } from "./permissions.ts";
import type { RecordedPlan } from "./planned-projects.ts";

/** Who runs the command. */
export interface Actor {
  login: string;
  permission: PermissionLevel;
  /**
   * The `@org/team` entries of the gates' approver lists the actor is an active member of. Only
   * looked up for the commands that check approvers (see `factsNeeded`); empty otherwise.
   */
  teams: string[];
}

export interface PullRequestFacts {
  state: "open" | "closed";
  merged: boolean;
  /** The commit the merge created, once merged. */
  mergeCommitSha?: string;
  headSha: string;
  author: string;
  /** The head branch lives in another repository. */
  fromFork: boolean;
  /** null while GitHub is still computing it. */
  mergeable: boolean | null;
}

/** Environment name → state of the deploy of a merge commit (deploy-store.ts's states). */
export interface DeployFacts {
  sha: string;
  environments: Record<string, string>;
}

/** A comment on a pull request. The optional facts are gathered only for the commands that read them. */
export interface PullCommandFacts {
  on: "pull_request";
  actor: Actor;
  pull: PullRequestFacts;
  /** From the base branch's config, or the stricter of base and head (gates.ts). */
  gates: Gates;
  /** `allow_forks` of the base branch's config; false without one (a fork cannot open its own door). */
  baseAllowsForks: boolean;
  /** The recorded plan of this pull request, of whichever head it was made for; null when none. */
  plan: RecordedPlan | null;
  /** `/approve cancel`: whether the actor has an approval recorded on this pull request. */
  hasApproval?: boolean;
  /** `/apply` before merge: the approvals of the head; null while its plan is not recorded. */
  approvals?: ApprovalEvaluation | null;
  /** `/apply <environment>` after merge: the deploy of the merge commit; null when there is none. */
  deploy?: DeployFacts | null;
}

/** A comment on a drift issue: it reports one project of the default branch. */
export interface DriftIssueFacts {
  on: "drift_issue";
  actor: Actor;
  project: string;
  /** The project's environment on the default branch, when it has one (and a valid config). */
  environment?: string;
  /** That environment's gate, from the default branch's config. */
  gate?: EnvironmentGate;
}

/** A comment on a release issue: the waiting deploy of a commit pushed straight to the default branch. */
export interface ReleaseIssueFacts {
  on: "release_issue";
  actor: Actor;
  /** The deploy's commit. */
  sha: string;
  /** The gates of the commit's own config (a commit of the default branch is its own base). */
  gates: Gates;
  /** The deploy of `sha`; null when there is none. */
  deploy: DeployFacts | null;
}

export type CommandFacts = PullCommandFacts | DriftIssueFacts | ReleaseIssueFacts;

/** What an allowed command does; the job carries it out as it is. */
export type CommandAction =
  | { kind: "plan"; projects?: string[] }
  | ApproveAction
  | { kind: "approve_cancel" }
  /** Apply before merge: these projects, at the planned head. */
  | { kind: "apply"; projects: string[] }
  /** `/apply <environment>` on a merged pull request: the deploy of `sha` continues there. */
  | { kind: "release"; environment: string; sha: string }
  /** `/apply` on a drift issue: re-plan and apply the project at the default branch's head. */
  | { kind: "repair_drift"; project: string }
  | { kind: "unlock"; projects: string[] }
  | { kind: "rollback"; mergeSha: string }
  | { kind: "help" };

/** An approval to record (a `/approve` or an APPROVED review). */
export interface ApproveAction {
  kind: "approve";
  environments: string[] | "all";
  /** Approvals belong to a commit. */
  headSha: string;
  /** Undefined while the plan of `headSha` runs: filled in once it is recorded. */
  planDigests?: Record<string, string>;
}

export type CommandDecision =
  | {
      verdict: "allow";
      action: CommandAction;
      /**
       * What to reply when the command is carried out but changes nothing, or nothing yet (SPEC §7
       * "Every command gets a visible answer"): a 👀 alone would read as "done".
       */
      answer?: string;
    }
  | { verdict: "refuse"; reason: string };

export const allow = (action: CommandAction, answer?: string): CommandDecision =>
  answer === undefined ? { verdict: "allow", action } : { verdict: "allow", action, answer };
export const refuse = (reason: string): CommandDecision => ({ verdict: "refuse", reason });
