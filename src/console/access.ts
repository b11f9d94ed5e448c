// Which repositories a signed-in person may see and act on: GitHub's answer for their own token
// (their installations of this App, and each one's repositories with their permissions), kept at
// most five minutes so a person removed from a repository loses it within that time.
import type { AccessEntry, ConsoleStore, RepoAccess } from "../state/console-store.ts";

export const ACCESS_MAX_AGE_MS = 5 * 60 * 1000;

export interface RepoLister {
  repositories(token: string): Promise<RepoAccess[]>;
}

export class AccessCache {
  /**
   * The kept answers, also held here so that a page costs no Redis read for them. An answer is
   * used only while it is under 5 minutes old, here as in Redis, so a removal still takes effect
   * within 5 minutes on every server. At most MAX_LOCAL people; past that it starts again.
   */
  private readonly local = new Map<string, { entry: AccessEntry; repos: Map<string, RepoAccess> }>();

  constructor(
    private readonly store: ConsoleStore,
    private readonly github: RepoLister,
    private readonly now: () => number,
  ) {}

  /** OWNER/NAME (lower case) → access; fresh from GitHub when the kept answer is 5 minutes old. */
  async repos(user: { login: string; token: string }): Promise<Map<string, RepoAccess>> {
    const login = user.login.toLowerCase();
    const held = this.local.get(login);
    if (held && this.fresh(held.entry)) return held.repos;
    let entry: AccessEntry | undefined = await this.store.access(user.login);
    if (!entry || !this.fresh(entry)) {
      entry = { fetchedAt: this.now(), repos: await this.github.repositories(user.token) };
      await this.store.saveAccess(user.login, entry, ACCESS_MAX_AGE_MS / 1000);
    }
    const repos = new Map(entry.repos.map((r) => [r.repo.toLowerCase(), r]));
    if (this.local.size >= MAX_LOCAL) this.local.clear();
    this.local.set(login, { entry, repos });
    return repos;
  }

  private fresh(entry: AccessEntry): boolean {
    const age = this.now() - entry.fetchedAt;
    return age >= 0 && age < ACCESS_MAX_AGE_MS;
  }
}

const MAX_LOCAL = 10_000;
