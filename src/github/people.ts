// What GitHub says about people, as the policy reads it: a user's permission on the repository,
// and which of the `@org/team`s named in approver lists they are in. Answers are kept a minute
// (state/permission-cache.ts): a burst of commands costs one lookup each.
import type { Permission, RepoGitHub } from "./port.ts";

/** Where answers are remembered; state/permission-cache.ts keeps them in Redis. */
export interface AnswerCache {
  remember<T extends string | boolean>(what: string, lookup: () => Promise<T>): Promise<T>;
}

export class People {
  constructor(
    private readonly gh: RepoGitHub,
    private readonly cache: AnswerCache,
  ) {}

  /** The user's permission on this repository; "none" for someone who is not a collaborator. */
  permission(user: string): Promise<Permission> {
    return this.cache.remember(`perm:${this.gh.repo.owner}/${this.gh.repo.name}:${user}`, () => this.gh.permission(user));
  }

  /** Which of the `@org/team` entries among `approvers` the user is an active member of. */
  async teamsOf(user: string, approvers: string[]): Promise<string[]> {
    const teams: string[] = [];
    for (const team of new Set(approvers.filter((a) => a.startsWith("@")))) {
      const [org, slug] = team.slice(1).split("/");
      if (!org || !slug) continue;
      if (await this.cache.remember(`team:${org}/${slug}:${user}`, () => this.gh.isTeamMember(org, slug, user))) teams.push(team);
    }
    return teams;
  }

  /** The memberships of several users: login → teams (the approvals policy's UserTeams). */
  async teamsOfEach(users: string[], approvers: string[]): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const user of new Set(users)) out[user] = await this.teamsOf(user, approvers);
    return out;
  }
}
