// Git smart HTTP at /OWNER/REPO.git through the real `git http-backend` (CGI), authenticated the
// way GitHub authenticates apps: Basic `x-access-token:<installation token>`.
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { relative } from "node:path";
import { gunzipSync } from "node:zlib";
import type { SimCore } from "./core.ts";
import { listRefs } from "./git.ts";
import { applyPush, ZERO_SHA, type RefUpdate } from "./ops-repos.ts";
import type { RepoState } from "./state.ts";

export interface GitRequestRecord {
  method: string;
  path: string;
  service: string;
  status: number;
  installationId?: number;
}

const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(\/.*)?$/;

export function isGitPath(pathname: string): boolean {
  return GIT_PATH.test(pathname);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function installationFromBasic(header: string | undefined, core: SimCore): number | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
  const password = decoded.slice(decoded.indexOf(":") + 1);
  return core.tokens.check(password)?.installationId;
}

function refuse(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): number {
  res.writeHead(status, { "content-type": "text/plain", ...extra }).end(`${message}\n`);
  return status;
}

/** Runs the CGI and streams its answer; the caller ends `res` (after updating state for a push). */
function runBackend(core: SimCore, repo: RepoState, req: IncomingMessage, res: ServerResponse, rest: string, query: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GIT_PROJECT_ROOT: core.reposRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: `/${relative(core.reposRoot, repo.gitDir)}${rest}`,
      QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: String(req.headers["content-type"] ?? ""),
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: "x-access-token",
      REMOTE_ADDR: "127.0.0.1",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      HOME: core.reposRoot,
    };
    const protocol = req.headers["git-protocol"];
    if (typeof protocol === "string") env.GIT_PROTOCOL = protocol;
    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let headerBuf = Buffer.alloc(0);
    let headersDone = false;
    let status = 200;
    const stderr: Buffer[] = [];
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      headerBuf = Buffer.concat([headerBuf, chunk]);
      const text = headerBuf.toString("latin1");
      const crlf = text.indexOf("\r\n\r\n");
      const lf = text.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      headersDone = true;
      const headers: Record<string, string> = {};
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i <= 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(headerBuf.subarray(end));
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (!headersDone) {
        status = 500;
        res.writeHead(500, { "content-type": "text/plain" });
        res.write(`git http-backend exited ${code}: ${Buffer.concat(stderr).toString()}`);
      }
      resolve(code === 0 ? status : status >= 400 ? status : 500);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(body);
  });
}

/** Serve one git smart-HTTP request; a successful receive-pack updates PR state and sends webhooks. */
export async function handleGit(
  core: SimCore,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  query: string,
  log: GitRequestRecord[],
): Promise<void> {
  const m = GIT_PATH.exec(pathname) as RegExpExecArray;
  const rest = m[3] ?? "";
  const service = /service=(git-[a-z-]+)/.exec(query)?.[1] ?? rest.replace(/^\//, "");
  const record: GitRequestRecord = { method: req.method ?? "GET", path: pathname, service, status: 0 };
  log.push(record);
  const installationId = installationFromBasic(req.headers.authorization, core);
  if (installationId === undefined) {
    record.status = refuse(res, 401, "Invalid username or token. Password authentication is not supported for Git operations.", {
      "www-authenticate": 'Basic realm="GitHub"',
    });
    return;
  }
  record.installationId = installationId;
  const repo = core.state.repo(`${m[1]}/${m[2]}`);
  if (!repo || repo.installationId !== installationId) {
    record.status = refuse(res, 404, "Repository not found.");
    return;
  }
  let body = await readBody(req);
  if (String(req.headers["content-encoding"] ?? "").toLowerCase() === "gzip") body = gunzipSync(body);
  if (rest !== "/git-receive-pack") {
    record.status = await runBackend(core, repo, req, res, rest, query, body);
    res.end();
    return;
  }
  // The client's push completes when the response ends: state and webhooks are updated first,
  // so a test that awaits `git push` sees the new PR head.
  await core
    .withRepoLock(repo.fullName, async () => {
      const before = await listRefs(repo.gitDir, "refs/heads/");
      record.status = await runBackend(core, repo, req, res, rest, query, body);
      const after = await listRefs(repo.gitDir, "refs/heads/");
      const updates: RefUpdate[] = [];
      for (const [ref, sha] of after) if (before.get(ref) !== sha) updates.push({ ref, before: before.get(ref) ?? ZERO_SHA, after: sha });
      for (const [ref, sha] of before) if (!after.has(ref)) updates.push({ ref, before: sha, after: ZERO_SHA });
      if (updates.length > 0) {
        const events = await applyPush(core, repo, updates, core.app.bot);
        if (core.echoAppEvents) core.echo(events);
      }
    })
    .finally(() => res.end());
}
