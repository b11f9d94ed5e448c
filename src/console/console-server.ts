// The operations console (SPEC §8), as one object app.ts hands to the server: the session cookie
// (registered on the root, so /api/v1 can accept a console session too), sign-in with GitHub,
// and the pages (pages.ts). Without its settings it serves only a page saying how to turn it on.
import { randomBytes } from "node:crypto";
import formbody from "@fastify/formbody";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { z } from "zod";
import { exchangeCode, UserGitHub } from "../github/user-github.ts";
import type { RunLogReader } from "../logs/run-log.ts";
import type { SessionAccess } from "../server/api/api-routes.ts";
import type { ReadModel } from "../server/read-model.ts";
import type { ConsoleSettings } from "../settings.ts";
import type { ConsoleStore, RepoAccess } from "../state/console-store.ts";
import { AccessCache, type RepoLister } from "./access.ts";
import type { ConsoleActions } from "./actions.ts";
import { registerPages } from "./pages.ts";
import { sendPage, securityHeaders, STATIC_FILES } from "./render.ts";
import { newId, registerSession, sameToken, SESSION_MS, signedIn, type SignedIn } from "./session.ts";

export interface ConsoleDeps {
  /** Absent: the console is off and `/` says how to turn it on. */
  settings?: ConsoleSettings;
  publicUrl: string;
  githubBaseUrl: string;
  apiBaseUrl: string;
  store: ConsoleStore;
  read: ReadModel;
  actions: ConsoleActions;
  /** Run logs (src/logs/); absent: the run page says there is no log. */
  logs?: RunLogReader;
  log: Logger;
  /** The clock of sessions and of the 5-minute access cache (tests move it). */
  now?: () => number;
  /** Lists a user's repositories; GitHub's API with their token by default. */
  repoLister?: RepoLister;
}

/** What a console page's handler knows about who asks. */
export interface Viewer extends SignedIn {
  repos: Map<string, RepoAccess>;
}

const callbackQuery = z.object({ code: z.string().min(1).max(200), state: z.string().min(16).max(100) });

export class ConsoleServer {
  private readonly now: () => number;
  private readonly access?: AccessCache;

  constructor(private readonly d: ConsoleDeps) {
    this.now = d.now ?? Date.now;
    if (d.settings) {
      const lister = d.repoLister ?? { repositories: (token: string) => new UserGitHub(d.apiBaseUrl, token).repositories() };
      this.access = new AccessCache(d.store, lister, this.now);
    }
  }

  get enabled(): boolean {
    return this.d.settings !== undefined;
  }

  get callbackUrl(): string {
    return `${this.d.publicUrl}/login/callback`;
  }

  /** The signed-in person and their repositories, or undefined: for pages and for /api/v1. */
  async viewer(req: FastifyRequest): Promise<Viewer | undefined> {
    if (!this.d.settings || !this.access) return undefined;
    const user = await signedIn(req, this.d.store, this.d.settings.sessionSecret, this.now);
    if (!user) return undefined;
    return { ...user, repos: await this.access.repos(user) };
  }

  /** A console session for /api/v1: its login and repositories (undefined: no valid session). */
  readonly sessionAccess = async (req: FastifyRequest): Promise<SessionAccess | undefined> => {
    const v = await this.viewer(req);
    return v ? { login: v.login, repos: v.repos } : undefined;
  };

  async register(fastify: FastifyInstance): Promise<void> {
    fastify.get("/static/:file", async (req, reply) => {
      const file = STATIC_FILES[(req.params as { file: string }).file];
      if (!file) return reply.code(404).send("Not Found");
      return securityHeaders(reply).header("cache-control", "public, max-age=300").type(file.type).send(file.body);
    });
    // Browsers ask for it on every first visit; nothing to show, nothing to log as a 404.
    fastify.get("/favicon.ico", async (_req, reply) => reply.code(204).header("cache-control", "public, max-age=86400").send());
    const settings = this.d.settings;
    if (!settings) {
      fastify.get("/", async (_req, reply) =>
        sendPage(reply, "setup", { title: "Turn on the console", publicUrl: this.d.publicUrl, callbackUrl: this.callbackUrl }),
      );
      return;
    }
    await registerSession(fastify, settings.sessionSecret, this.d.publicUrl.startsWith("https://"));
    await fastify.register(async (scope) => {
      await scope.register(formbody);
      this.signInRoutes(scope, settings);
      registerPages(scope, {
        viewer: (req) => this.viewer(req),
        read: this.d.read,
        actions: this.d.actions,
        ...(this.d.logs ? { logs: this.d.logs } : {}),
        githubBaseUrl: this.d.githubBaseUrl,
        log: this.d.log,
      });
    });
  }

  private signInRoutes(scope: FastifyInstance, settings: ConsoleSettings): void {
    scope.get("/login", async (req, reply) => {
      const state = randomBytes(24).toString("base64url");
      await this.d.store.rememberState(state);
      // Bound to this browser too: a callback carrying a state this cookie did not start is refused.
      req.session.set("state", state);
      const url = new URL(`${this.d.githubBaseUrl}/login/oauth/authorize`);
      url.searchParams.set("client_id", settings.clientId);
      url.searchParams.set("state", state);
      url.searchParams.set("redirect_uri", this.callbackUrl);
      return securityHeaders(reply).redirect(url.toString(), 302);
    });

    scope.get("/login/callback", async (req, reply) => {
      const q = callbackQuery.safeParse(req.query);
      const expected = req.session.get("state");
      req.session.set("state", undefined);
      const back = () => securityHeaders(reply).redirect("/login", 302);
      if (!q.success || typeof expected !== "string" || !sameToken(q.data.state, expected)) return back();
      if (!(await this.d.store.takeState(q.data.state))) return back();
      const exchange = await exchangeCode(this.d.githubBaseUrl, settings, q.data.code, this.callbackUrl);
      if (!exchange.ok) {
        this.d.log.warn({ reason: exchange.reason }, "console sign-in refused by GitHub");
        return back();
      }
      const login = await new UserGitHub(this.d.apiBaseUrl, exchange.token).login();
      const sid = newId();
      await this.d.store.saveSession(sid, { login, token: exchange.token, expiresAt: this.now() + SESSION_MS });
      // A fresh cookie: nothing of the signed-out browser's cookie carries over.
      req.session.regenerate();
      req.session.set("sid", sid);
      this.d.log.info({ login }, "console sign-in");
      return securityHeaders(reply).redirect("/", 302);
    });

    scope.post("/logout", async (req, reply) => {
      const user = await signedIn(req, this.d.store, settings.sessionSecret, this.now);
      if (user && !sameToken((req.body as Record<string, unknown> | undefined)?._csrf, user.csrf)) return forbidden(reply);
      if (user) await this.d.store.dropSession(user.sid);
      req.session.delete();
      return securityHeaders(reply).redirect("/signed-out", 303);
    });

    scope.get("/signed-out", async (_req, reply) => sendPage(reply, "signed-out", { title: "Signed out" }));
  }
}

export function forbidden(reply: FastifyReply): FastifyReply {
  return sendPage(
    reply,
    "error",
    { title: "Refused", message: "This form is out of date or did not come from this console. Reload the page and try again." },
    403,
  );
}
