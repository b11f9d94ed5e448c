// Which repositories a signed-in person may see and act on: GitHub's answer for their own token
// (their installations of this App, and each one's repositories with their permissions), kept at
// most five minutes so a person removed from a repository loses it within that time.
import type { AccessEntry, ConsoleStore, RepoAccess } from "../state/console-store.ts";

export const ACCESS_MAX_AGE_MS = 5 * 60 * 1000;

export interface RepoLister {
  repositories(token: string): Promise<RepoAccess[]>;
}

export class AccessCache {
  constructor(
    private readonly store: ConsoleStore,
    private readonly github: RepoLister,
    private readonly now: () => number,
  ) {}

  /** OWNER/NAME (lower case) → access; fresh from GitHub when the kept answer is 5 minutes old. */
  async repos(user: { login: string; token: string }): Promise<Map<string, RepoAccess>> {
    let entry: AccessEntry | undefined = await this.store.access(user.login);
    if (!entry || this.now() - entry.fetchedAt >= ACCESS_MAX_AGE_MS || entry.fetchedAt > this.now()) {
      entry = { fetchedAt: this.now(), repos: await this.github.repositories(user.token) };
      await this.store.saveAccess(user.login, entry, ACCESS_MAX_AGE_MS / 1000);
    }
    return new Map(entry.repos.map((r) => [r.repo.toLowerCase(), r]));
  }
}
