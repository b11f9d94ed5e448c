// The contract between the request dispatcher and the per-area handlers, plus GitHub's error shapes.
import type { SimCore } from "./core.ts";
import type { RepoState, SimUser } from "./state.ts";

export type Auth =
  | { kind: "none" }
  | { kind: "app" }
  | { kind: "installation"; installationId: number; token: string }
  /** A user-to-server token from the OAuth web flow (oauth.ts). */
  | { kind: "user"; login: string }
  | { kind: "invalid"; reason: string };

export interface ApiRequest {
  method: string;
  path: string;
  operationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  // Validated against the operation's schema before a handler sees it.
  body: any;
  auth: Auth;
  /** Set for `repo` routes: the repository named by {owner}/{repo}, reachable by the caller. */
  repo: RepoState;
  /** Who GitHub would say acted: the app's bot user for installation tokens. */
  actor: SimUser;
}

export interface ApiReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A request GitHub would refuse for a reason the schema alone does not catch (size limits). */
  violation?: string;
}

export type Handler = (req: ApiRequest, core: SimCore) => Promise<ApiReply> | ApiReply;

export interface Route {
  /** app: app JWT; installation: installation token; repo: installation token with access to {owner}/{repo}; user: a user's OAuth token. */
  auth: "app" | "installation" | "repo" | "user";
  handle: Handler;
}

export type Routes = Record<string, Route>;

const DOCS = "https://docs.github.com/enterprise-server@3.17/rest";

export function ok(body: unknown, status = 200, headers?: Record<string, string>): ApiReply {
  return { status, body, ...(headers ? { headers } : {}) };
}

export function notFound(): ApiReply {
  return { status: 404, body: { message: "Not Found", documentation_url: DOCS, status: "404" } };
}

export function validationFailed(message: string, errors: unknown[] = []): ApiReply {
  return { status: 422, body: { message, errors, documentation_url: DOCS, status: "422" } };
}

export function failure(status: number, message: string): ApiReply {
  return { status, body: { message, documentation_url: DOCS, status: String(status) } };
}

export function intParam(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** GitHub pagination: `per_page` (default 30, max 100), `page` from 1, and a `Link` header. */
export function paginate<T>(items: T[], req: ApiRequest, core: SimCore): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, intParam(req.query.get("per_page") ?? undefined) ?? 30));
  const page = Math.max(1, intParam(req.query.get("page") ?? undefined) ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set("per_page", String(perPage));
    q.set("page", String(p));
    return `<${core.urls.api}${req.path}?${q.toString()}>; rel="${rel}"`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(link(page - 1, "prev"));
  if (page < last) rels.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) rels.push(link(1, "first"));
  return { page: slice, headers: rels.length ? { link: rels.join(", ") } : {} };
}
