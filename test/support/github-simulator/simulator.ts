// A local GitHub Enterprise Server: REST under /api/v3 checked against GitHub's description, git
// smart HTTP at /OWNER/REPO.git, signed webhooks to the app. One per test; `stop()` leaves nothing.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Scenario } from "../scenario/scenario.ts";
import { dispatchApi, type ApiCall, type Recorder, type Violation } from "./api-dispatch.ts";
import { generateAppKeyPair, TokenStore } from "./app-auth.ts";
import { RepoLocks, type PendingEvent, type SimCore } from "./core.ts";
import { handleGit, isGitPath, type GitRequestRecord } from "./git-http.ts";
import { OAuthFlow } from "./oauth.ts";
import { loadSpec } from "./openapi-spec.ts";
import { routes } from "./routes.ts";
import type { AppInfo, Urls } from "./serialize-core.ts";
import { nowIso, SimState } from "./state.ts";
import { WebhookSender, type Delivery, type DeliveryResult } from "./webhook-sender.ts";

export interface SimulatorOptions {
  /** Send webhooks for the app's own writes (comments, check runs, deployments…). Default true. */
  echoAppEvents?: boolean;
  appSlug?: string;
  webhookTarget?: string;
  /** Check every JSON answer against GitHub's response schema; mismatches become violations. */
  validateResponses?: boolean;
}

/** What the simulator is doing now, and marks of progress: read by `waitIdle` (test/support/idle.ts). */
export interface SimActivity {
  /** Requests (REST and git) received and not yet answered, as "METHOD /path". */
  requestsInFlight: string[];
  /** Requests ever received. */
  requests: number;
  /** Webhooks queued or being delivered, echoes of the app's writes included (also before their payload is built). */
  deliveriesPending: number;
  /** Webhooks ever queued. */
  deliveries: number;
}

export interface GitHubSimulator {
  /** http://127.0.0.1:PORT — use as GHE_HOST=127.0.0.1:PORT with GHE_PROTOCOL=http. */
  readonly baseUrl: string;
  readonly host: string;
  /** http://127.0.0.1:PORT/api/v3 */
  readonly apiUrl: string;
  readonly appId: number;
  readonly appSlug: string;
  readonly botLogin: string;
  /** PKCS#1 PEM of the app's private key. */
  readonly privateKey: string;
  readonly webhookSecret: string;
  /** The App's OAuth client (GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET of the console). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Who approves the next OAuth authorization (the console's "Sign in with GitHub"). */
  signInAs(login: string | undefined): void;
  readonly calls: ApiCall[];
  readonly violations: Violation[];
  readonly gitRequests: GitRequestRecord[];
  readonly deliveries: Delivery[];
  readonly scenario: Scenario;
  /** The internals, for the scenario driver and assertions on state. */
  readonly core: SimCore;
  setWebhookTarget(url: string | undefined): void;
  deliver(event: string, payload: Record<string, unknown>): Promise<DeliveryResult>;
  redeliver(deliveryId: string): Promise<DeliveryResult>;
  /** A mark for `callsSince`: the number of calls recorded so far. */
  mark(): number;
  callsSince(mark: number): ApiCall[];
  resetCalls(): void;
  /** Mint an installation token without the JWT round trip (tests, git clients). */
  installationToken(installationId: number): string;
  gitUrl(fullName: string): string;
  /**
   * Fault injection: every request (REST under /api/v3, or git) whose method and path (no query)
   * `match` answers `status` with GitHub's error shape until the returned function is called.
   * Answered before anything else, and not recorded in `calls`.
   */
  failRequests(match: (req: { method: string; path: string }) => boolean, status?: number): () => void;
  /** Resolves once every webhook queued so far (including echoes of the app's writes) is answered. */
  idle(): Promise<void>;
  /** A snapshot of requests and deliveries in progress; `waitIdle` combines it with Slipway's queues. */
  activity(): SimActivity;
  stop(): Promise<void>;
}

export async function startGitHubSimulator(options: SimulatorOptions = {}): Promise<GitHubSimulator> {
  loadSpec(); // pay the spec's parse once, before the first request's clock starts
  const root = await mkdtemp(join(tmpdir(), "slipway-ghsim-"));
  const state = new SimState();
  const keys = generateAppKeyPair();
  const slug = options.appSlug ?? "slipway";
  const app: AppInfo = {
    id: 100 + state.nextId(),
    slug,
    name: "Slipway",
    clientId: `Iv1.${randomBytes(8).toString("hex")}`,
    owner: state.user("slipway-dev"),
    bot: state.user(`${slug}[bot]`, "Bot"),
    createdAt: nowIso(),
  };
  const hooks = new WebhookSender(randomBytes(20).toString("hex"));
  hooks.setTarget(options.webhookTarget);
  const recorder: Recorder = { calls: [], violations: [] };
  const gitRequests: GitRequestRecord[] = [];
  const locks = new RepoLocks();
  const urls: Urls = { base: "", api: "" };
  let echoChain: Promise<void> = Promise.resolve();
  /** Echo batches registered and not yet delivered (their payloads are built late). */
  let echoesPending = 0;
  const inFlight = new Map<number, string>();
  let requestCount = 0;

  const core: SimCore = {
    state,
    urls,
    app,
    tokens: new TokenStore(),
    oauth: new OAuthFlow(app.clientId, (login) => state.findUser(login) !== undefined),
    hooks,
    reposRoot: join(root, "repos"),
    echoAppEvents: options.echoAppEvents ?? true,
    withRepoLock: (name, fn) => locks.run(name, fn),
    after: () => undefined,
    echo(events: PendingEvent[]) {
      echoesPending++;
      // setImmediate: the answer to the app's request is written before its echo is built.
      echoChain = echoChain.then(
        () =>
          new Promise<void>((resolve) =>
            setImmediate(async () => {
              for (const build of events) {
                try {
                  const [event, payload] = await build();
                  await hooks.deliver(event, payload);
                } catch (err) {
                  recorder.violations.push({ kind: "simulator-fault", method: "WEBHOOK", path: "", status: 0, reason: String(err) });
                }
              }
              echoesPending--;
              resolve();
            }),
          ),
      );
    },
  };

  core.after = (repo, work) => {
    echoesPending++;
    echoChain = echoChain.then(
      () =>
        new Promise<void>((resolve) =>
          setImmediate(async () => {
            try {
              const events = await locks.run(repo, work);
              for (const build of events) {
                const [event, payload] = await build();
                await hooks.deliver(event, payload);
              }
            } catch (err) {
              recorder.violations.push({ kind: "simulator-fault", method: "QUEUE", path: repo, status: 0, reason: String(err) });
            }
            echoesPending--;
            resolve();
          }),
        ),
    );
  };

  const faults = new Set<{ match: (req: { method: string; path: string }) => boolean; status: number }>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    // In flight until the answer is written or the connection drops ('close' fires either way).
    const requestId = ++requestCount;
    inFlight.set(requestId, `${req.method ?? "GET"} ${url.pathname}`);
    res.once("close", () => inFlight.delete(requestId));
    const fail = (err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`simulator fault: ${err instanceof Error ? err.message : String(err)}`);
    };
    const fault = [...faults].find((f) => f.match({ method: req.method ?? "GET", path: url.pathname }));
    if (fault) {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ message: "simulated failure", documentation_url: "https://docs.github.com/rest", status: String(fault.status) }));
    } else if (url.pathname === "/api/v3" || url.pathname.startsWith("/api/v3/")) {
      dispatchApi(req, res, url.pathname.slice("/api/v3".length) || "/", url.searchParams, {
        core,
        routes,
        recorder,
        publicKey: keys.publicKey,
        validateResponses: options.validateResponses ?? false,
      }).catch(fail);
    } else if (core.oauth.handles(url.pathname)) {
      core.oauth.handle(req, res, url).catch(fail);
    } else if (isGitPath(url.pathname)) {
      handleGit(core, req, res, url.pathname, url.search.replace(/^\?/, ""), gitRequests).catch(fail);
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("simulator did not get a TCP port");
  const host = `127.0.0.1:${address.port}`;
  urls.base = `http://${host}`;
  urls.api = `${urls.base}/api/v3`;

  const idle = async () => {
    let seen: Promise<void>;
    do {
      seen = echoChain;
      await seen;
      await hooks.idle();
    } while (seen !== echoChain);
  };

  let scenario: Scenario | undefined;
  const sim: GitHubSimulator = {
    baseUrl: urls.base,
    host,
    apiUrl: urls.api,
    appId: app.id,
    appSlug: slug,
    botLogin: app.bot.login,
    privateKey: keys.privateKeyPem,
    webhookSecret: hooks.secret,
    clientId: app.clientId,
    clientSecret: core.oauth.clientSecret,
    signInAs: (login) => {
      core.oauth.signedInAs = login;
    },
    calls: recorder.calls,
    violations: recorder.violations,
    gitRequests,
    deliveries: hooks.deliveries,
    get scenario() {
      scenario ??= new Scenario(sim);
      return scenario;
    },
    core,
    setWebhookTarget: (url) => hooks.setTarget(url),
    deliver: (event, payload) => hooks.deliver(event, payload),
    redeliver: (id) => hooks.redeliver(id),
    mark: () => recorder.calls.length,
    callsSince: (mark) => recorder.calls.slice(mark),
    resetCalls: () => {
      recorder.calls.length = 0;
    },
    installationToken: (id) => core.tokens.issue(id).token,
    gitUrl: (fullName) => `${urls.base}/${fullName}.git`,
    failRequests: (match, status = 502) => {
      const fault = { match, status };
      faults.add(fault);
      return () => faults.delete(fault);
    },
    idle,
    activity: () => ({
      requestsInFlight: [...inFlight.values()],
      requests: requestCount,
      deliveriesPending: hooks.counts.pending + echoesPending,
      deliveries: hooks.counts.queued,
    }),
    async stop() {
      // Let in-flight deliveries finish (bounded) so nothing posts to a closed app afterwards.
      await Promise.race([idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
      hooks.setTarget(undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(root, { recursive: true, force: true });
    },
  };
  return sim;
}
