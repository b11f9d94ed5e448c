// One REST request: match it to an operation of GitHub's description, validate the body,
// authenticate, run the handler, record the call (and any violation), answer like GitHub.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { verifyAppJwt } from "./app-auth.ts";
import type { KeyObject } from "node:crypto";
import { failure, notFound, type ApiReply, type ApiRequest, type Auth, type Routes } from "./api-types.ts";
import type { SimCore } from "./core.ts";
import { matchOperation } from "./openapi-spec.ts";
import { validateRequestBody, validateResponseBody } from "./openapi-validator.ts";
import type { RepoState } from "./state.ts";

export interface ApiCall {
  method: string;
  path: string;
  operationId: string | undefined;
  status: number;
  installationId?: number;
  at: number;
}

export interface Violation {
  kind: "unknown-operation" | "invalid-body" | "unimplemented" | "limit" | "bad-json" | "simulator-fault" | "response-shape";
  method: string;
  path: string;
  operationId?: string;
  status: number;
  reason: string;
}

export interface Recorder {
  calls: ApiCall[];
  violations: Violation[];
}

export interface DispatchDeps {
  core: SimCore;
  routes: Routes;
  recorder: Recorder;
  publicKey: KeyObject;
  /** Also check each JSON answer against GitHub's response schema (the simulator's own tests). */
  validateResponses: boolean;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function authenticate(header: string | undefined, deps: DispatchDeps): Auth {
  if (!header) return { kind: "none" };
  const m = /^(token|bearer)\s+(\S+)$/i.exec(header.trim());
  if (!m) return { kind: "invalid", reason: "unsupported Authorization scheme" };
  const credential = m[2] as string;
  if (credential.split(".").length === 3) {
    const check = verifyAppJwt(credential, deps.publicKey, deps.core.app.id, deps.core.app.clientId);
    return check.ok ? { kind: "app" } : { kind: "invalid", reason: check.reason };
  }
  const user = deps.core.oauth.userOf(credential);
  if (user) return { kind: "user", login: user };
  const t = deps.core.tokens.check(credential);
  return t ? { kind: "installation", installationId: t.installationId, token: credential } : { kind: "invalid", reason: "unknown or expired token" };
}

function send(res: ServerResponse, reply: ApiReply): void {
  const headers: Record<string, string> = {
    "x-github-request-id": randomUUID().toUpperCase(),
    "x-github-api-version-selected": "2022-11-28",
    "x-github-enterprise-version": "3.17.0",
    "x-ratelimit-limit": "15000",
    "x-ratelimit-remaining": "14999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-resource": "core",
    ...reply.headers,
  };
  if (reply.status === 204 || reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  if (Buffer.isBuffer(reply.body)) {
    res.writeHead(reply.status, headers).end(reply.body);
    return;
  }
  res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(reply.body));
}

export async function dispatchApi(req: IncomingMessage, res: ServerResponse, apiPath: string, query: URLSearchParams, deps: DispatchDeps): Promise<void> {
  const { core, recorder } = deps;
  const method = (req.method ?? "GET").toUpperCase();
  const raw = await readBody(req);
  const call: ApiCall = { method, path: apiPath, operationId: undefined, status: 0, at: Date.now() };
  const finish = (reply: ApiReply, violation?: Omit<Violation, "method" | "path" | "status" | "operationId">) => {
    call.status = reply.status;
    recorder.calls.push(call);
    if (violation)
      recorder.violations.push({ ...violation, method, path: apiPath, status: reply.status, ...(call.operationId ? { operationId: call.operationId } : {}) });
    send(res, reply);
  };

  const match = matchOperation(method, apiPath);
  if (!match) return finish(notFound(), { kind: "unknown-operation", reason: `no operation of GitHub's API is ${method} ${apiPath}` });
  call.operationId = match.operation.operationId;

  const auth = authenticate(req.headers.authorization, deps);
  if (auth.kind === "installation") call.installationId = auth.installationId;
  if (auth.kind === "invalid") return finish(failure(401, "Bad credentials"));

  let body: unknown = {};
  if (raw.length > 0) {
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return finish(failure(400, "Problems parsing JSON"), { kind: "bad-json", reason: "request body is not JSON" });
    }
  }
  const check = validateRequestBody(match.operation, body);
  if (!check.ok) {
    return finish(
      { status: 422, body: { message: `Invalid request.\n\n${check.message}`, documentation_url: "https://docs.github.com/rest", status: "422" } },
      { kind: "invalid-body", reason: check.message },
    );
  }

  const route = deps.routes[match.operation.operationId];
  if (!route)
    return finish(failure(501, `The simulator does not implement ${match.operation.operationId}`), {
      kind: "unimplemented",
      reason: `${match.operation.operationId} is valid but not simulated`,
    });

  if (route.auth === "app" && auth.kind !== "app") return finish(failure(401, "A JSON web token could not be decoded"));
  if (route.auth !== "app" && auth.kind === "none") return finish(failure(401, "Requires authentication"));
  if (route.auth !== "app" && auth.kind === "app") return finish(failure(403, "Resource not accessible by integration"));
  if ((route.auth === "user") !== (auth.kind === "user")) return finish(failure(403, "Resource not accessible by integration"));

  let repo: RepoState | undefined;
  if (route.auth === "repo") {
    repo = core.state.repo(`${match.params.owner}/${match.params.repo}`);
    // GitHub hides private repositories the installation cannot reach behind a 404.
    if (!repo || auth.kind !== "installation" || repo.installationId !== auth.installationId) return finish(notFound());
  }
  const apiReq: ApiRequest = {
    method,
    path: apiPath,
    operationId: match.operation.operationId,
    params: match.params,
    query,
    headers: req.headers,
    body,
    auth,
    repo: repo as RepoState,
    actor: core.app.bot,
  };
  let reply: ApiReply;
  try {
    reply = await route.handle(apiReq, core);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return finish(failure(500, `simulator fault: ${reason}`), { kind: "simulator-fault", reason });
  }
  if (deps.validateResponses && reply.status < 300 && reply.body !== undefined && !Buffer.isBuffer(reply.body)) {
    const shape = validateResponseBody(match.operation, reply.status, reply.body);
    if (!shape.ok)
      recorder.violations.push({ kind: "response-shape", method, path: apiPath, operationId: call.operationId, status: reply.status, reason: shape.message });
  }
  finish(reply, reply.violation ? { kind: "limit", reason: reply.violation } : undefined);
}
