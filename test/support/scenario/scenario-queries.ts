// Read-only views of the simulator's state for assertions, in the REST shapes Slipway sees.
import type { SimCore } from "../github-simulator/core.ts";
import { mergeability } from "../github-simulator/ops-pulls.ts";
import { serializeCheckRun, serializeDeployment, serializeDeploymentStatus } from "../github-simulator/serialize-ci.ts";
import { serializeComment, serializeIssue, serializePull, serializeReaction } from "../github-simulator/serialize-pulls.ts";
import type { PullState, RepoState } from "../github-simulator/state.ts";
import type { Delivery } from "../github-simulator/webhook-sender.ts";

type Json = Record<string, any>;

export class ScenarioQueries {
  constructor(private readonly c: SimCore) {}

  protected repoOf(fullName: string): RepoState {
    const repo = this.c.state.repo(fullName);
    if (!repo) throw new Error(`no repository ${fullName} in the simulator`);
    return repo;
  }

  protected pullState(pr: { repo: string; number: number }): PullState {
    const pull = this.c.state.pull(pr.repo, pr.number);
    if (!pull) throw new Error(`no PR #${pr.number} in ${pr.repo}`);
    return pull;
  }

  /** Check runs on a repo, oldest first, optionally for one head SHA and/or name. */
  checkRuns(repo: string, filter: { headSha?: string; name?: string } = {}): Json[] {
    const r = this.repoOf(repo);
    return [...this.c.state.checkRuns.values()]
      .filter((run) => run.repo === r.fullName && (!filter.headSha || run.headSha === filter.headSha) && (!filter.name || run.name === filter.name))
      .sort((a, b) => a.id - b.id)
      .map((run) => ({ ...serializeCheckRun(run, r, this.c.app, this.c.urls), output: { ...run.output, annotations_count: run.output.annotations.length } }));
  }

  /** Comments on an issue or PR, oldest first. */
  comments(repo: string, number: number): Json[] {
    const r = this.repoOf(repo);
    return [...this.c.state.comments.values()]
      .filter((c) => c.repo === r.fullName && c.issueNumber === number)
      .map((c) => serializeComment(this.c.state, c, r, this.c.urls));
  }

  deployments(repo: string): Json[] {
    const r = this.repoOf(repo);
    return [...this.c.state.deployments.values()]
      .filter((d) => d.repo === r.fullName)
      .sort((a, b) => a.id - b.id)
      .map((d) => serializeDeployment(d, r, this.c.app, this.c.urls));
  }

  /** Statuses of a deployment, oldest first (the order they were set). */
  deploymentStatuses(repo: string, deploymentId: number): Json[] {
    const r = this.repoOf(repo);
    const d = this.c.state.deployments.get(deploymentId);
    if (!d) return [];
    return this.c.state.deploymentStatuses.filter((s) => s.deploymentId === deploymentId).map((s) => serializeDeploymentStatus(s, d, r, this.c.urls));
  }

  /** Issues (not PRs) of a repo, optionally only those with every given label. */
  issues(repo: string, filter: { labels?: string[]; state?: "open" | "closed" | "all" } = {}): Json[] {
    const r = this.repoOf(repo);
    const state = filter.state ?? "all";
    return this.c.state
      .issuesOf(r.fullName)
      .filter(
        (i) =>
          !i.isPull && (state === "all" || i.state === state) && (filter.labels ?? []).every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())),
      )
      .map((i) => serializeIssue(this.c.state, i, r, this.c.urls));
  }

  reactions(commentId: number): Json[] {
    return this.c.state.reactions.filter((r) => r.subject === `comment:${commentId}`).map((r) => serializeReaction(r, this.c.urls));
  }

  async pull(pr: { repo: string; number: number }): Promise<Json> {
    const pull = this.pullState(pr);
    const r = this.repoOf(pull.repo);
    const issue = this.c.state.issue(pull.repo, pull.number);
    if (!issue) throw new Error(`PR #${pr.number} has no issue record`);
    return serializePull(this.c.state, pull, issue, r, this.c.urls, await mergeability(this.c, pull));
  }

  /** Webhook deliveries recorded so far, optionally of one event (and action). */
  deliveriesOf(event?: string, action?: string): Delivery[] {
    return this.c.hooks.deliveries.filter((d) => (!event || d.event === event) && (!action || d.action === action));
  }
}
