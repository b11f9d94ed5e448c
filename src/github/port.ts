// The few GitHub calls Slipway makes, as one interface. Jobs and writers depend on this, not on
// Octokit, so what Slipway asks of GitHub is listed in one place (and counted in the tests).
import type { PullFacts } from "../domain/intent.ts";
import type { RepoRef } from "../domain/types.ts";

export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required";

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
}

export interface NewCheckRun {
  name: string;
  headSha: string;
  status: "in_progress" | "completed";
  conclusion?: CheckConclusion;
  output?: CheckOutput;
}

export interface PullStatus {
  facts: PullFacts;
  state: "open" | "closed";
  merged: boolean;
  /** The commit the merge created on the base branch, once merged. */
  mergeCommitSha?: string;
  /** null while GitHub is still computing it. */
  mergeable: boolean | null;
  htmlUrl: string;
}

export type DeploymentState = "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface RepoGitHub {
  readonly repo: RepoRef;
  /** Installation token for git over HTTPS; cached by the auth layer until near expiry. */
  token(): Promise<string>;
  createCheckRun(check: NewCheckRun): Promise<number>;
  completeCheckRun(id: number, conclusion: CheckConclusion, output: CheckOutput): Promise<void>;
  createComment(issueNumber: number, body: string): Promise<number>;
  /** False when the comment no longer exists (someone deleted it). */
  updateComment(commentId: number, body: string): Promise<boolean>;
  addReaction(commentId: number, content: "eyes" | "+1" | "confused"): Promise<void>;
  getPull(pullNumber: number): Promise<PullStatus>;
  /** The user's permission on this repository; "none" for someone who is not a collaborator. */
  permission(user: string): Promise<Permission>;
  /** Open issues with a label, with their bodies (all pages). */
  listOpenIssues(label: string): Promise<{ number: number; title: string; body: string }[]>;
  createIssue(input: { title: string; body: string; labels: string[] }): Promise<number>;
  updateIssue(issueNumber: number, change: { body?: string; state?: "open" | "closed" }): Promise<void>;
  createPull(input: { head: string; base: string; title: string; body: string }): Promise<{ number: number; htmlUrl: string }>;
  createDeployment(sha: string, environment: string, description: string): Promise<number>;
  setDeploymentStatus(deploymentId: number, state: DeploymentState, description: string): Promise<void>;
  /** Whether `user` is an active member of the team `org/slug`. */
  isTeamMember(org: string, slug: string, user: string): Promise<boolean>;
}

export interface GitHubClients {
  forRepo(repo: RepoRef): Promise<RepoGitHub>;
  /**
   * The installation that holds `owner/name`, for work that did not come from a webhook (the API
   * releasing a lock knows only the repository's name).
   */
  installationOf(owner: string, name: string): Promise<number>;
}

/** One attempt of GitHub's webhook delivery log (`GET /app/hook/deliveries`), as Slipway reads it. */
export interface HookDeliveryAttempt {
  /** This attempt's id: what `redeliver` takes. */
  id: number;
  /** The delivery id (`X-GitHub-Delivery`), shared by a delivery and its redeliveries. */
  guid: string;
  /** Epoch ms. */
  deliveredAt: number;
  /** 0 when GitHub could not connect or got no answer in time. */
  statusCode: number;
  redelivery: boolean;
  event: string;
  action: string | null;
}

/** What a delivery was about, from its payload: for the audit trail. */
export interface HookDeliverySubject {
  /** `OWNER/NAME`, when the event has a repository. */
  repo?: string;
  pull?: number;
}

/** The App's own webhook delivery log (App JWT). */
export interface HookDeliveryLog {
  /** Pages of attempts, newest first; stop reading when far enough back. */
  pages(): AsyncIterable<HookDeliveryAttempt[]>;
  subject(attemptId: number): Promise<HookDeliverySubject>;
  /** Asks GitHub to send that attempt's delivery again (202: GitHub will). */
  redeliver(attemptId: number): Promise<void>;
}
