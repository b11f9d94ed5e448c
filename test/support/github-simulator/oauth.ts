// The App's user-to-server OAuth web flow as GitHub runs it: `GET /login/oauth/authorize` (here
// the "user" who approves is whoever the test signs in as) redirects back with a one-time code,
// `POST /login/oauth/access_token` trades it for a `ghu_` token. These two endpoints are not in
// the REST description, so their parameters are checked here, the way GitHub answers them.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

interface PendingCode {
  login: string;
  clientId: string;
  redirectUri: string;
  expiresAt: number;
}

export interface OAuthRecord {
  endpoint: "authorize" | "access_token";
  status: number;
  error?: string;
}

export class OAuthFlow {
  readonly clientSecret = `sim_secret_${randomBytes(16).toString("hex")}`;
  /** Who approves the next authorization; undefined: GitHub's page would wait for a sign-in. */
  signedInAs: string | undefined;
  readonly records: OAuthRecord[] = [];
  private readonly codes = new Map<string, PendingCode>();
  private readonly tokens = new Map<string, { login: string; expiresAt: number }>();

  constructor(
    private readonly clientId: string,
    private readonly knownUser: (login: string) => boolean,
  ) {}

  /** The login a user token belongs to, while it is valid. */
  userOf(token: string, nowMs = Date.now()): string | undefined {
    const t = this.tokens.get(token);
    return t && t.expiresAt > nowMs ? t.login : undefined;
  }

  /** Mint a code as if `login` had approved (tests of the callback without the redirect). */
  codeFor(login: string, redirectUri: string, clientId = this.clientId): string {
    const code = randomBytes(10).toString("hex");
    this.codes.set(code, { login, clientId, redirectUri, expiresAt: Date.now() + 600_000 });
    return code;
  }

  handles(pathname: string): boolean {
    return pathname === "/login/oauth/authorize" || pathname === "/login/oauth/access_token";
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === "/login/oauth/authorize" && req.method === "GET") return this.authorize(url, res);
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") return this.accessToken(req, res);
    this.answer(res, "authorize", 404, "text/plain", "Not Found");
  }

  private authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirect = q.get("redirect_uri");
    if (q.get("client_id") !== this.clientId) return this.answer(res, "authorize", 404, "text/plain", "Not Found", "unknown client_id");
    if (!redirect || !URL.canParse(redirect) || !/^https?:$/.test(new URL(redirect).protocol))
      return this.answer(res, "authorize", 400, "text/plain", "redirect_uri is missing or not a URL", "redirect_uri");
    if (!q.get("state")) return this.answer(res, "authorize", 400, "text/plain", "state is required by this simulator", "state");
    if (!this.signedInAs || !this.knownUser(this.signedInAs))
      return this.answer(res, "authorize", 403, "text/plain", "no user signed in to the simulator", "no user");
    const back = new URL(redirect);
    back.searchParams.set("code", this.codeFor(this.signedInAs, redirect));
    back.searchParams.set("state", q.get("state")!);
    this.records.push({ endpoint: "authorize", status: 302 });
    res.writeHead(302, { location: back.toString() }).end();
  }

  private async accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const type = req.headers["content-type"] ?? "";
    let params: Record<string, unknown>;
    try {
      params = type.includes("application/json") ? (JSON.parse(text) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(text));
    } catch {
      return this.answer(res, "access_token", 400, "text/plain", "Problems parsing JSON", "bad body");
    }
    const fail = (error: string) =>
      this.answer(res, "access_token", 200, "application/json", JSON.stringify({ error, error_description: error.replace(/_/g, " ") }), error);
    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) return fail("incorrect_client_credentials");
    const code = typeof params.code === "string" ? this.codes.get(params.code) : undefined;
    if (!code || code.expiresAt <= Date.now() || code.clientId !== params.client_id) return fail("bad_verification_code");
    this.codes.delete(params.code as string);
    if (params.redirect_uri !== undefined && params.redirect_uri !== code.redirectUri) return fail("redirect_uri_mismatch");
    const token = `ghu_${randomBytes(18).toString("hex").slice(0, 36)}`;
    this.tokens.set(token, { login: code.login, expiresAt: Date.now() + 8 * 3600_000 });
    this.answer(res, "access_token", 200, "application/json", JSON.stringify({ access_token: token, token_type: "bearer", scope: "" }));
  }

  private answer(res: ServerResponse, endpoint: OAuthRecord["endpoint"], status: number, type: string, body: string, error?: string): void {
    this.records.push({ endpoint, status, ...(error ? { error } : {}) });
    res.writeHead(status, { "content-type": type }).end(body);
  }
}
