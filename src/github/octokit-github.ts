// The only file that calls Octokit methods. One client per installation per process: its auth
// layer caches the installation token until shortly before expiry, so `token()` and the API
// calls share one token request an hour.
import { createAppAuth } from "@octokit/auth-app";
import { request } from "@octokit/request";
import type { Logger } from "pino";
import { ProbotOctokit } from "probot";
import type { RepoRef } from "../domain/types.ts";
import type { GitHubAppCredentials } from "../settings.ts";
import type { CheckConclusion, CheckOutput, DeploymentState, GitHubClients, NewCheckRun, Permission, PullStatus, RepoGitHub } from "./port.ts";

type Octokit = InstanceType<typeof ProbotOctokit>;

/** Told of every API request's answer (metrics): `url` is Octokit's path template when it has one. */
export type RequestObserver = (
  installationId: number,
  seen: { method: string | undefined; url: string | undefined; status: number | undefined; headers?: Record<string, string | number | undefined> },
) => void;

type RequestFn = (options: Record<string, unknown>) => Promise<{ status: number; headers: Record<string, string | number | undefined> }>;

/** Wraps a request so the observer sees its answer, or its error's status, before the caller does. */
function observed(installationId: number, observe: RequestObserver) {
  return async (request: RequestFn, options: Record<string, unknown>) => {
    const method = options.method as string | undefined;
    const url = options.url as string | undefined;
    try {
      const response = await request(options);
      observe(installationId, { method, url, status: response.status, headers: response.headers });
      return response;
    } catch (err) {
      const e = err as { status?: number; response?: { headers?: Record<string, string | number | undefined> } };
      observe(installationId, { method, url, status: e.status, headers: e.response?.headers });
      throw err;
    }
  };
}

export class AppGitHubClients implements GitHubClients {
  private readonly byInstallation = new Map<number, Octokit>();
  private appClient?: Octokit;

  constructor(
    private readonly app: GitHubAppCredentials,
    private readonly apiBaseUrl: string,
    private readonly log: Logger,
    private readonly throttle: boolean,
    private readonly observe?: RequestObserver,
  ) {}

  async forRepo(repo: RepoRef): Promise<RepoGitHub> {
    return new OctokitRepoGitHub(this.installationClient(repo.installationId), repo);
  }

  async installationOf(owner: string, name: string): Promise<number> {
    // As the App itself (a JWT), not as an installation: which installation is what is asked.
    this.appClient ??= new ProbotOctokit({
      baseUrl: this.apiBaseUrl,
      authStrategy: createAppAuth,
      auth: { appId: this.app.appId, privateKey: this.app.privateKey, request: request.defaults({ baseUrl: this.apiBaseUrl }) },
      log: this.log.child({ name: "octokit-app" }),
      throttle: { enabled: this.throttle, id: "app" },
    });
    const { data } = await this.appClient.request("GET /repos/{owner}/{repo}/installation", { owner, repo: name });
    return data.id;
  }

  private installationClient(installationId: number): Octokit {
    let octokit = this.byInstallation.get(installationId);
    if (!octokit) {
      // ProbotOctokit brings retry and throttling. The auth strategy gets a `request` bound to
      // the API base URL: Probot's own binds none, and `auth({type: "installation"})` (the token
      // for git) would then go to api.github.com even on GitHub Enterprise Server.
      // The token requests go through the auth strategy's own `request`, not the client's hooks.
      const hook = this.observe ? { request: { hook: observed(installationId, this.observe) } } : {};
      octokit = new ProbotOctokit({
        baseUrl: this.apiBaseUrl,
        authStrategy: createAppAuth,
        auth: {
          appId: this.app.appId,
          privateKey: this.app.privateKey,
          installationId,
          request: request.defaults({ baseUrl: this.apiBaseUrl, ...hook }),
        },
        log: this.log.child({ name: "octokit", installation: installationId }),
        // One limiter per installation (the plugin's default id puts every installation of the
        // process behind one queue); GitHub counts its secondary limits per installation too.
        throttle: { enabled: this.throttle, id: `installation-${installationId}` },
      });
      // Wrapped last, so outermost: one count per call as the caller sees it, after the retry and
      // throttling plugins (a retried request counts once, with its final status).
      if (this.observe) octokit.hook.wrap("request", observed(installationId, this.observe) as never);
      this.byInstallation.set(installationId, octokit);
    }
    return octokit;
  }
}

class OctokitRepoGitHub implements RepoGitHub {
  private readonly owner: string;
  private readonly name: string;

  constructor(
    private readonly octokit: Octokit,
    readonly repo: RepoRef,
  ) {
    this.owner = repo.owner;
    this.name = repo.name;
  }

  async token(): Promise<string> {
    const auth = (await this.octokit.auth({ type: "installation" })) as { token: string };
    return auth.token;
  }

  async createCheckRun(check: NewCheckRun): Promise<number> {
    const now = new Date().toISOString();
    const { data } = await this.octokit.rest.checks.create({
      owner: this.owner,
      repo: this.name,
      name: check.name,
      head_sha: check.headSha,
      status: check.status,
      started_at: now,
      ...(check.status === "completed" ? { conclusion: check.conclusion ?? "neutral", completed_at: now } : {}),
      ...(check.output ? { output: check.output } : {}),
    });
    return data.id;
  }

  async completeCheckRun(id: number, conclusion: CheckConclusion, output: CheckOutput): Promise<void> {
    await this.octokit.rest.checks.update({
      owner: this.owner,
      repo: this.name,
      check_run_id: id,
      status: "completed",
      conclusion,
      completed_at: new Date().toISOString(),
      output,
    });
  }

  async createComment(issueNumber: number, body: string): Promise<number> {
    const { data } = await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.name, issue_number: issueNumber, body });
    return data.id;
  }

  async updateComment(commentId: number, body: string): Promise<boolean> {
    try {
      await this.octokit.rest.issues.updateComment({ owner: this.owner, repo: this.name, comment_id: commentId, body });
      return true;
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async addReaction(commentId: number, content: "eyes" | "+1" | "confused"): Promise<void> {
    await this.octokit.rest.reactions.createForIssueComment({ owner: this.owner, repo: this.name, comment_id: commentId, content });
  }

  async getPull(pullNumber: number): Promise<PullStatus> {
    const { data: p } = await this.octokit.rest.pulls.get({ owner: this.owner, repo: this.name, pull_number: pullNumber });
    const headRepo = p.head.repo?.full_name;
    return {
      facts: {
        repo: this.repo,
        number: p.number,
        headSha: p.head.sha,
        headRef: p.head.ref,
        baseRef: p.base.ref,
        baseSha: p.base.sha,
        author: p.user?.login ?? "",
        ...(p.title ? { title: p.title } : {}),
        draft: p.draft === true,
        fromFork: headRepo === undefined || headRepo.toLowerCase() !== p.base.repo.full_name.toLowerCase(),
        updatedAt: Date.parse(p.updated_at),
      },
      state: p.state === "open" ? "open" : "closed",
      merged: p.merged === true,
      ...(p.merged && p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
      mergeable: p.mergeable ?? null,
      htmlUrl: p.html_url,
    };
  }

  async permission(user: string): Promise<Permission> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner: this.owner, repo: this.name, username: user });
      return data.permission as Permission;
    } catch (err) {
      // GitHub answers 404 for a login that is not a user at all.
      if ((err as { status?: number }).status === 404) return "none";
      throw err;
    }
  }

  async isTeamMember(org: string, slug: string, user: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: slug, username: user });
      return data.state === "active";
    } catch (err) {
      if ((err as { status?: number }).status === 404) return false;
      throw err;
    }
  }

  async createDeployment(sha: string, environment: string, description: string): Promise<number> {
    const { data } = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.name,
      ref: sha,
      environment,
      description,
      // Slipway's own checks on the commit are running while it deploys: no context gate here,
      // and never a merge of the default branch into the ref.
      required_contexts: [],
      auto_merge: false,
      transient_environment: false,
    });
    if (!("id" in data)) throw new Error(`GitHub did not create the deployment: ${JSON.stringify(data).slice(0, 200)}`);
    return data.id;
  }

  async setDeploymentStatus(deploymentId: number, state: DeploymentState, description: string): Promise<void> {
    await this.octokit.rest.repos.createDeploymentStatus({
      owner: this.owner,
      repo: this.name,
      deployment_id: deploymentId,
      state,
      // GitHub caps the description at 140 characters.
      description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
    });
  }

  async createPull(input: { head: string; base: string; title: string; body: string }): Promise<{ number: number; htmlUrl: string }> {
    const { data } = await this.octokit.rest.pulls.create({ owner: this.owner, repo: this.name, ...input });
    return { number: data.number, htmlUrl: data.html_url };
  }

  async listOpenIssues(label: string): Promise<{ number: number; title: string; body: string }[]> {
    const issues = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
      owner: this.owner,
      repo: this.name,
      state: "open",
      labels: label,
      per_page: 100,
    });
    // The issues endpoint lists pull requests too.
    return issues.filter((i) => !i.pull_request).map((i) => ({ number: i.number, title: i.title, body: i.body ?? "" }));
  }

  async createIssue(input: { title: string; body: string; labels: string[] }): Promise<number> {
    const { data } = await this.octokit.rest.issues.create({ owner: this.owner, repo: this.name, ...input });
    return data.number;
  }

  async updateIssue(issueNumber: number, change: { body?: string; state?: "open" | "closed" }): Promise<void> {
    await this.octokit.rest.issues.update({ owner: this.owner, repo: this.name, issue_number: issueNumber, ...change });
  }
}
