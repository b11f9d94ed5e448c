// The console's calls to GitHub as the signed-in person (SPEC §8): the OAuth code exchange and
// the installations and repositories that person can read. Separate from the App's own client:
// these run with the user's token, on the web server, and never in a job.
import { request } from "@octokit/request";
import type { RepoAccess } from "../state/console-store.ts";

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export type CodeExchange = { ok: true; token: string } | { ok: false; reason: string };

/** `POST <github>/login/oauth/access_token`: GitHub answers 200 with `error` when it refuses. */
export async function exchangeCode(githubBaseUrl: string, client: OAuthClient, code: string, redirectUri: string): Promise<CodeExchange> {
  const res = await fetch(`${githubBaseUrl}/login/oauth/access_token`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: redirectUri }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) return { ok: false, reason: `GitHub answered ${res.status}` };
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
  if (typeof body.access_token === "string" && body.access_token !== "") return { ok: true, token: body.access_token };
  return { ok: false, reason: typeof body.error === "string" ? body.error : "no access token in GitHub's answer" };
}

interface Installation {
  id: number;
}
interface Repository {
  full_name: string;
  permissions?: { admin?: boolean; maintain?: boolean; push?: boolean; pull?: boolean };
}

/** GitHub's API as one user: who they are and what they can read through this App. */
export class UserGitHub {
  private readonly request: typeof request;

  constructor(apiBaseUrl: string, token: string) {
    this.request = request.defaults({ baseUrl: apiBaseUrl, headers: { authorization: `token ${token}`, "x-github-api-version": "2022-11-28" } });
  }

  async login(): Promise<string> {
    const { data } = await this.request("GET /user");
    return data.login;
  }

  /** Every repository of every installation of this App the user can reach, with write or not. */
  async repositories(): Promise<RepoAccess[]> {
    const out = new Map<string, RepoAccess>();
    for (const installation of await this.pages<Installation>("GET /user/installations", {}, "installations")) {
      const repos = await this.pages<Repository>(
        "GET /user/installations/{installation_id}/repositories",
        { installation_id: installation.id },
        "repositories",
      );
      for (const r of repos) {
        const p = r.permissions ?? {};
        if (p.pull === false) continue;
        out.set(r.full_name.toLowerCase(), { repo: r.full_name, canWrite: !!(p.push || p.maintain || p.admin) });
      }
    }
    return [...out.values()].sort((a, b) => a.repo.localeCompare(b.repo));
  }

  /** Both endpoints wrap their list in an object (`{total_count, installations}`): pages of 100. */
  private async pages<T>(route: string, params: Record<string, unknown>, key: string): Promise<T[]> {
    const all: T[] = [];
    for (let page = 1; page <= 50; page++) {
      const { data } = await this.request(route, { ...params, per_page: 100, page });
      const items = ((data as Record<string, unknown>)[key] ?? []) as T[];
      all.push(...items);
      if (items.length < 100) break;
    }
    return all;
  }
}
