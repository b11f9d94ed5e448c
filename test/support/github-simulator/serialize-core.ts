// REST shapes of accounts, repositories, installations, the app, labels and teams — the fields
// GitHub's schemas require that clients commonly read, with URLs pointing at the simulator.
import { nodeId, type Installation, type Label, type RepoState, type SimUser, type TeamState } from "./state.ts";

export interface Urls {
  /** http://127.0.0.1:PORT — HTML and git URLs live here (GHES layout). */
  base: string;
  /** http://127.0.0.1:PORT/api/v3 */
  api: string;
}

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: SimUser;
  bot: SimUser;
  createdAt: string;
}

export function serializeUser(u: SimUser, urls: Urls): Record<string, unknown> {
  // Bot logins ("slipway[bot]") are percent-encoded in URLs, as on GitHub.
  const api = `${urls.api}/users/${encodeURIComponent(u.login)}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === "Organization" ? "Organization" : u.type === "Bot" ? "Bot" : "User", u.id),
    avatar_url: `${urls.base}/avatars/u/${u.id}`,
    gravatar_id: "",
    url: api,
    html_url: `${urls.base}/${encodeURIComponent(u.login)}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function serializeRepo(r: RepoState, urls: Urls, permissions?: Record<string, boolean>): Record<string, unknown> {
  const api = `${urls.api}/repos/${r.fullName}`;
  const html = `${urls.base}/${r.fullName}`;
  return {
    id: r.id,
    node_id: nodeId("Repository", r.id),
    name: r.name,
    full_name: r.fullName,
    private: r.private,
    owner: serializeUser(r.owner, urls),
    html_url: html,
    description: null,
    fork: !!r.forkOf,
    url: api,
    git_url: `${html}.git`,
    ssh_url: `git@127.0.0.1:${r.fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    ...repoUrls(api),
    homepage: null,
    mirror_url: null,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    has_discussions: false,
    network_count: 0,
    subscribers_count: 0,
    size: 0,
    language: null,
    archived: false,
    disabled: false,
    visibility: r.private ? "private" : "public",
    default_branch: r.defaultBranch,
    created_at: r.createdAt,
    updated_at: r.createdAt,
    pushed_at: r.createdAt,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    allow_forking: true,
    is_template: false,
    topics: [],
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    open_issues_count: 0,
    ...(permissions ? { permissions } : {}),
  };
}

function repoUrls(api: string): Record<string, string> {
  const t: Record<string, string> = {
    archive_url: "/{archive_format}{/ref}",
    assignees_url: "/assignees{/user}",
    blobs_url: "/git/blobs{/sha}",
    branches_url: "/branches{/branch}",
    collaborators_url: "/collaborators{/collaborator}",
    comments_url: "/comments{/number}",
    commits_url: "/commits{/sha}",
    compare_url: "/compare/{base}...{head}",
    contents_url: "/contents/{+path}",
    contributors_url: "/contributors",
    deployments_url: "/deployments",
    downloads_url: "/downloads",
    events_url: "/events",
    forks_url: "/forks",
    git_commits_url: "/git/commits{/sha}",
    git_refs_url: "/git/refs{/sha}",
    git_tags_url: "/git/tags{/sha}",
    hooks_url: "/hooks",
    issue_comment_url: "/issues/comments{/number}",
    issue_events_url: "/issues/events{/number}",
    issues_url: "/issues{/number}",
    keys_url: "/keys{/key_id}",
    labels_url: "/labels{/name}",
    languages_url: "/languages",
    merges_url: "/merges",
    milestones_url: "/milestones{/number}",
    notifications_url: "/notifications{?since,all,participating}",
    pulls_url: "/pulls{/number}",
    releases_url: "/releases{/id}",
    stargazers_url: "/stargazers",
    statuses_url: "/statuses/{sha}",
    subscribers_url: "/subscribers",
    subscription_url: "/subscription",
    tags_url: "/tags",
    teams_url: "/teams",
    trees_url: "/git/trees{/sha}",
  };
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, `${api}${v}`]));
}

export function serializeInstallation(inst: Installation, app: AppInfo, urls: Urls): Record<string, unknown> {
  return {
    id: inst.id,
    node_id: nodeId("Installation", inst.id),
    account: serializeUser(inst.account, urls),
    repository_selection: "all",
    access_tokens_url: `${urls.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.base}/organizations/${inst.account.login}/settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    client_id: app.clientId,
    target_id: inst.account.id,
    target_type: inst.account.type === "Organization" ? "Organization" : "User",
    permissions: appPermissions(),
    events: appEvents(),
    created_at: app.createdAt,
    updated_at: app.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

export function appPermissions(): Record<string, string> {
  return {
    checks: "write",
    contents: "write",
    deployments: "write",
    issues: "write",
    metadata: "read",
    members: "read",
    pull_requests: "write",
    statuses: "write",
  };
}

export function appEvents(): string[] {
  return ["check_run", "deployment", "deployment_status", "issue_comment", "pull_request", "pull_request_review", "push"];
}

export function serializeApp(app: AppInfo, urls: Urls, installationsCount: number): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: app.clientId,
    owner: serializeUser(app.owner, urls),
    name: app.name,
    description: "Pull-request-driven change control (simulated)",
    external_url: urls.base,
    html_url: `${urls.base}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: appPermissions(),
    events: appEvents(),
    installations_count: installationsCount,
  };
}

export function serializeLabel(l: Label, repo: RepoState, urls: Urls): Record<string, unknown> {
  return {
    id: l.id,
    node_id: nodeId("Label", l.id),
    url: `${urls.api}/repos/${repo.fullName}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    description: l.description,
    default: false,
  };
}

export function serializeTeam(t: TeamState, urls: Urls): Record<string, unknown> {
  return {
    id: t.id,
    node_id: nodeId("Team", t.id),
    url: `${urls.api}/organizations/${t.org}/team/${t.id}`,
    html_url: `${urls.base}/orgs/${t.org}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: null,
    privacy: "closed",
    notification_setting: "notifications_enabled",
    permission: "pull",
    members_url: `${urls.api}/organizations/${t.org}/team/${t.id}/members{/member}`,
    repositories_url: `${urls.api}/organizations/${t.org}/team/${t.id}/repos`,
    parent: null,
  };
}
