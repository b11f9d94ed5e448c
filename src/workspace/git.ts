// Runs git with an argv (never a shell). The installation token travels only in the child's
// environment as an `http.extraHeader` config entry: never in argv (visible in `ps`), never in a
// URL or `.git/config` (it would outlive its hour and leak into logs), never in an error message.
import { execFile } from "node:child_process";
import { SlipwayError } from "../domain/types.ts";

export interface GitOptions {
  /** Runs as `git -C dir …`. */
  dir?: string;
  token?: string;
  timeoutMs?: number;
  /**
   * The environment git runs with (proxy and CA settings matter for fetches). Local commands
   * need none of it: without one, git runs with an empty environment.
   */
  env?: Record<string, string>;
  /** Settings for this command only, as `git -c key=value` (never a secret: argv shows in `ps`). */
  config?: Record<string, string>;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** A failed git command. `code` is "git_failed" (or "git_timeout"), stable across processes. */
export class GitError extends SlipwayError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(code, message);
  }
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Environment entries that authenticate git over HTTP(S) with an installation token. */
export function gitAuthEnv(token: string | undefined): Record<string, string> {
  // No credential helper either: a helper could answer with stale stored credentials, or store ours.
  const entries: Array<[string, string]> = [["credential.helper", ""]];
  if (token) entries.unshift(["http.extraHeader", `Authorization: Basic ${basicAuth(token)}`]);
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

function basicAuth(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}

/** Removes the token, in every form it takes on the wire, from a text. */
export function redactToken(text: string, token: string | undefined): string {
  // A token this short is not a real one, and replacing it would shred the message.
  if (!token || token.length < 4) return text;
  let out = text;
  for (const secret of [basicAuth(token), token]) out = out.split(secret).join("***");
  return out;
}

export function git(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const config = Object.entries(opts.config ?? {}).flatMap(([key, value]) => ["-c", `${key}=${value}`]);
  const argv = [...(opts.dir ? ["-C", opts.dir] : []), ...config, ...args];
  const env: Record<string, string> = { ...opts.env, ...gitAuthEnv(opts.token) };
  // Inherited from a parent git (a hook, a test runner inside a repo) these would redirect -C.
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"]) {
    delete env[name];
  }
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      argv,
      { env, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT_BYTES },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const clean = redactToken(String(stderr).trim(), opts.token);
        const exitCode = typeof error.code === "number" ? error.code : null;
        const timedOut = error.killed === true && error.signal === "SIGKILL";
        const what = `git ${args[0] ?? ""}`.trim();
        const why = timedOut ? "timed out" : exitCode !== null ? `exit ${exitCode}` : redactToken(error.message, opts.token);
        reject(new GitError(timedOut ? "git_timeout" : "git_failed", `${what} failed (${why})${clean ? `: ${summarise(clean)}` : ""}`, exitCode, clean));
      },
    );
  });
}

/** True for failures another git process causes by holding a lock we need: worth one retry. */
export function isLockContention(error: unknown): boolean {
  if (!(error instanceof GitError)) return false;
  // "bad object worktrees/…/HEAD", "failed to read worktrees/…/commondir": another process's
  // `worktree add` was half-way through writing its admin files.
  return /index\.lock|shallow\.lock|\.lock': File exists|cannot lock ref|Unable to create '.*\.lock'|unable to (?:lock|update) .*ref|bad object worktrees\/|failed to read worktrees\//i.test(
    error.stderr,
  );
}

/**
 * Runs git, retrying after a short random pause when another process held a lock we need.
 * Twice, not once: two workers adding worktrees to one mirror in a burst can collide again.
 */
export async function gitRetryingLocks(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await git(args, opts);
    } catch (error) {
      if (attempt >= 3 || !isLockContention(error)) throw error;
      await new Promise((r) => setTimeout(r, attempt * (150 + Math.floor(Math.random() * 250))));
    }
  }
}

/** The first and last lines of git's stderr: the cause is usually first (a lock) or last (fatal:). */
function summarise(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.length <= 5 ? lines : [...lines.slice(0, 2), "…", ...lines.slice(-3)];
  return kept.join(" | ");
}
