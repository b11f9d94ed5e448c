// Workspaces: one bare mirror per repository, one detached worktree per run at an exact SHA.
//   ${dataDir}/mirrors/${owner}/${repo}.git     fetched with the installation token
//   ${dataDir}/worktrees/<unique>               checked out at exactly `sha`, removed after the run
// Concurrency, in this process, per repository: fetches share the mirror (each writes objects and
// its own refs; a ref already up to date is not locked), while changes to its worktree admin
// files (add, record removal, prune) and gc run alone — `worktree add` first writes a placeholder
// HEAD that a concurrent fetch reads as a bad object, and gc must not repack under a fetch. So
// fetches never start gc themselves (`maintenance.auto=false`): every GC_EVERY_FETCHES fetches,
// `git gc --auto` runs under the exclusive lock. Other repos never wait. Another process sharing
// the data dir can still collide: those commands are retried.
import { randomUUID } from "node:crypto";
import { access, mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { SlipwayError } from "../domain/types.ts";
import { GitError, git, gitRetryingLocks } from "./git.ts";
import { KeyedRwLock } from "./keyed-rw-lock.ts";

export interface Worktree {
  path: string;
  sha: string;
  remove(): Promise<void>;
}

export interface WorkspacesOptions {
  dataDir: string;
  /** e.g. "https://github.com"; a repository is `${gitBaseUrl}/${owner}/${repo}.git`. */
  gitBaseUrl: string;
  gitTimeoutMs?: number;
  /** The environment git runs with: the worker's, without Slipway's credentials (settings.ts). */
  env?: Record<string, string>;
  /** Told about background housekeeping that failed (a gc, a deletion); nothing is lost by it. */
  warn?: (message: string) => void;
}

export interface CheckoutRequest {
  owner: string;
  repo: string;
  token: string;
  sha: string;
  /** Refs to fetch too, e.g. "refs/pull/7/head", "refs/heads/main". */
  refs?: string[];
}

export interface ReadFileRequest {
  owner: string;
  repo: string;
  token?: string;
  /** A SHA or a ref. A ref already in the mirror is not re-fetched: pass SHAs for fresh content. */
  rev: string;
  path: string;
}

// GitHub's own rules for owner and repository names; also keeps them from escaping dataDir.
const NAME = /^[A-Za-z0-9_.-]+$/;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REF = /^refs\/[A-Za-z0-9_./-]+$/;
const REV = /^[A-Za-z0-9_./-]+$/;
const FILES_KEPT = 500;
const GC_EVERY_FETCHES = 50;

export class Workspaces {
  private readonly repoLock = new KeyedRwLock();
  private readonly filesAtCommits = new Map<string, string | null>();
  private readonly fetchesSinceGc = new Map<string, number>();
  /** Worktrees moved aside by remove() and still being deleted (see remove). */
  private readonly deleting = new Set<Promise<void>>();

  constructor(private readonly opts: WorkspacesOptions) {}

  mirrorPath(owner: string, repo: string): string {
    checkName(owner, "owner");
    checkName(repo, "repository");
    // GitHub names are case-insensitive: one mirror for "Acme/Net" and "acme/net".
    return join(this.opts.dataDir, "mirrors", owner.toLowerCase(), `${repo.toLowerCase()}.git`);
  }

  /** A worktree at exactly `req.sha`: fetchCommit, then addWorktree. */
  async checkout(req: CheckoutRequest): Promise<Worktree> {
    await this.fetchCommit(req);
    return this.addWorktree(req);
  }

  /** Brings `req.sha` (and `req.refs`) into the repository's mirror: the first half of a checkout. */
  async fetchCommit(req: CheckoutRequest): Promise<void> {
    const sha = fullSha(req.sha);
    const refspecs = (req.refs ?? []).map(toRefspec);
    const mirror = this.mirrorPath(req.owner, req.repo);
    const found = await this.repoLock.shared(mirror, async () => {
      await this.ensureMirror(mirror);
      if (refspecs.length > 0) await this.fetchRefs(mirror, req, refspecs);
      if ((await looseRefsAt(mirror, refspecs)).includes(sha) || (await hasCommit(mirror, sha))) return true;
      await this.fetchSha(mirror, req, sha);
      return hasCommit(mirror, sha);
    });
    if (!found) throw new SlipwayError("sha_not_found", `commit ${sha} not found in ${req.owner}/${req.repo}`);
  }

  /**
   * A worktree at `req.sha`, a commit fetchCommit brought into the mirror: the second half of a
   * checkout, and its slow part on a big repository (every file is written).
   */
  async addWorktree(req: { owner: string; repo: string; sha: string }): Promise<Worktree> {
    const sha = fullSha(req.sha);
    const mirror = this.mirrorPath(req.owner, req.repo);
    const key = mirror;
    const path = join(this.opts.dataDir, "worktrees", `${safe(req.owner)}-${safe(req.repo)}-${sha.slice(0, 12)}-${randomUUID().slice(0, 8)}`);
    await mkdir(join(this.opts.dataDir, "worktrees"), { recursive: true });
    // Registering the worktree touches the mirror; filling it in only touches the worktree's own
    // index, so the slow checkout runs outside the lock and checkouts of one repo proceed in parallel.
    await this.repoLock.exclusive(key, () =>
      gitRetryingLocks(["worktree", "add", "--no-checkout", "--detach", path, sha], { dir: mirror, ...this.gitOptions() }),
    );
    const worktree: Worktree = { path, sha, remove: () => this.removeWorktree(mirror, path) };
    try {
      await gitRetryingLocks(["reset", "--hard", "--quiet"], { dir: path, ...this.gitOptions() });
    } catch (error) {
      await worktree.remove().catch(() => undefined);
      throw error;
    }
    return worktree;
  }

  /**
   * A file at a commit fetchCommit brought into the mirror, or null when the commit has no such
   * file: one git process, no lock (it only reads objects), never a fetch.
   */
  readFileAtFetched(req: { owner: string; repo: string; sha: string; path: string }): Promise<string | null> {
    return readBlob(this.mirrorPath(req.owner, req.repo), fullSha(req.sha), req.path.replace(/^\/+/, ""));
  }

  /** A file's content at a revision, or null when the revision has no such file. */
  async readFileAt(req: ReadFileRequest): Promise<string | null> {
    if (!REV.test(req.rev) || req.rev.startsWith("-")) throw new SlipwayError("invalid_rev", `not a revision: ${req.rev}`);
    const mirror = this.mirrorPath(req.owner, req.repo);
    const path = req.path.replace(/^\/+/, "");
    // What a commit holds never changes: a file read at a full SHA is kept (a plan reads the
    // base's `.slipway.yml`, and every pull request on that base reads the same one).
    const cacheKey = FULL_SHA.test(req.rev) ? `${mirror}\0${req.rev.toLowerCase()}\0${path}` : undefined;
    if (cacheKey !== undefined && this.filesAtCommits.has(cacheKey)) return this.filesAtCommits.get(cacheKey)!;
    const commit = await this.repoLock.shared(mirror, async () => {
      await this.ensureMirror(mirror);
      const present = await resolveCommit(mirror, req.rev);
      if (present) return present;
      if (FULL_SHA.test(req.rev)) await this.fetchSha(mirror, req, req.rev);
      else await this.fetchRefs(mirror, req, [toRefspec(req.rev)]);
      return resolveCommit(mirror, req.rev);
    });
    if (!commit) throw new SlipwayError("rev_not_found", `revision ${req.rev} not found in ${req.owner}/${req.repo}`);
    const content = await readBlob(mirror, commit, path);
    if (cacheKey !== undefined) this.rememberFile(cacheKey, content);
    return content;
  }

  private rememberFile(key: string, content: string | null): void {
    // Small and bounded: config files, oldest forgotten first.
    if (this.filesAtCommits.size >= FILES_KEPT) this.filesAtCommits.delete(this.filesAtCommits.keys().next().value!);
    this.filesAtCommits.set(key, content);
  }

  /**
   * Deletes worktrees left behind by runs that never called remove() (a killed worker), older
   * than `olderThanMs` — pick more than the longest job, since other workers may share the dir.
   * Returns the paths removed.
   */
  async removeStale(olderThanMs: number): Promise<string[]> {
    const root = join(this.opts.dataDir, "worktrees");
    // What a killed process had moved aside but not yet deleted; nobody uses it any more.
    await rm(join(this.opts.dataDir, "trash"), { recursive: true, force: true, maxRetries: 3 });
    const removed: string[] = [];
    const now = Date.now();
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const path = join(root, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > olderThanMs) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    }
    if (removed.length === 0) return removed;
    const mirrors = join(this.opts.dataDir, "mirrors");
    for (const owner of await readdir(mirrors).catch(() => [] as string[])) {
      for (const repo of await readdir(join(mirrors, owner)).catch(() => [] as string[])) {
        if (!repo.endsWith(".git")) continue;
        const mirror = join(mirrors, owner, repo);
        await this.repoLock.exclusive(mirror, () => gitRetryingLocks(["worktree", "prune"], { dir: mirror }));
      }
    }
    return removed;
  }

  /** The commit a branch points at on the server now (fetched first). */
  async branchHead(req: { owner: string; repo: string; token: string; branch: string }): Promise<string> {
    const mirror = this.mirrorPath(req.owner, req.repo);
    const refspec = toRefspec(req.branch);
    await this.repoLock.shared(mirror, async () => {
      await this.ensureMirror(mirror);
      await this.fetch(mirror, req, [refspec]);
    });
    const sha = await resolveCommit(mirror, refspec.split(":")[1]!);
    if (!sha) throw new SlipwayError("rev_not_found", `branch ${req.branch} not found in ${req.owner}/${req.repo}`);
    return sha;
  }

  /** Pushes the worktree's HEAD to a new branch `branch` of the repository, with the token. */
  async pushBranch(worktree: Worktree, req: { owner: string; repo: string; token: string; branch: string }): Promise<void> {
    const ref = toRefspec(req.branch).split(":")[1]!;
    await git(["push", "--quiet", "--end-of-options", this.url(req.owner, req.repo), `HEAD:${ref}`], {
      dir: worktree.path,
      token: req.token,
      ...this.gitOptions(),
    });
  }

  private gitOptions(): { timeoutMs?: number; env?: Record<string, string> } {
    return { ...(this.opts.gitTimeoutMs !== undefined ? { timeoutMs: this.opts.gitTimeoutMs } : {}), ...(this.opts.env ? { env: this.opts.env } : {}) };
  }

  private url(owner: string, repo: string): string {
    return `${this.opts.gitBaseUrl.replace(/\/+$/, "")}/${owner}/${repo}.git`;
  }

  private async ensureMirror(mirror: string): Promise<void> {
    if (await exists(join(mirror, "HEAD"))) return;
    // Built aside and renamed into place, so another process creating the same mirror at the same
    // time never sees (or trips over) a half-initialised repository: one rename wins.
    const staging = `${mirror}.init-${randomUUID().slice(0, 8)}`;
    await mkdir(dirname(mirror), { recursive: true });
    try {
      await git(["init", "--bare", "--quiet", "--template=", staging]);
      // gc in the foreground, inside our lock, never in a detached child racing the next fetch.
      await git(["config", "gc.autoDetach", "false"], { dir: staging });
      await rename(staging, mirror);
    } catch (error) {
      if (!(await exists(join(mirror, "HEAD")))) throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async fetchRefs(mirror: string, req: { owner: string; repo: string; token?: string }, refspecs: string[]): Promise<void> {
    try {
      await this.fetch(mirror, req, refspecs);
    } catch (error) {
      // A deleted branch or a closed PR's ref is no fault when the SHA is what we need.
      if (!(error instanceof GitError && /couldn't find remote ref/i.test(error.stderr))) throw error;
    }
  }

  private async fetchSha(mirror: string, req: { owner: string; repo: string; token?: string }, sha: string): Promise<void> {
    try {
      // GitHub serves any reachable commit by SHA. No ref is written for it: a worktree's HEAD keeps
      // it alive while in use, and gc may drop it weeks later (it is fetched again when needed).
      await this.fetch(mirror, req, [sha]);
    } catch (error) {
      // A server that refuses SHA wants: fall back to every branch and PR head.
      if (!(error instanceof GitError && /not our ref|want .* not valid|unadvertised object/i.test(error.stderr))) throw error;
      await this.fetch(mirror, req, ["+refs/heads/*:refs/heads/*", "+refs/pull/*/head:refs/pull/*/head"]);
    }
  }

  private async fetch(mirror: string, req: { owner: string; repo: string; token?: string }, refspecs: string[]): Promise<void> {
    await gitRetryingLocks(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--end-of-options", this.url(req.owner, req.repo), ...refspecs], {
      dir: mirror,
      config: { "maintenance.auto": "false", "gc.auto": "0" },
      ...(req.token ? { token: req.token } : {}),
      ...this.gitOptions(),
    });
    const fetches = (this.fetchesSinceGc.get(mirror) ?? 0) + 1;
    this.fetchesSinceGc.set(mirror, fetches % GC_EVERY_FETCHES);
    // Not awaited by this fetch: it waits for the fetches in flight (ours included) to finish.
    if (fetches === GC_EVERY_FETCHES) void this.gcAlone(mirror);
  }

  /** `git gc --auto` (packs loose objects when there are many) with no fetch or worktree change running. */
  private async gcAlone(mirror: string): Promise<void> {
    await this.repoLock
      .exclusive(mirror, () => git(["gc", "--auto", "--quiet"], { dir: mirror }))
      .catch((error: unknown) => this.opts.warn?.(`git gc --auto in ${mirror} failed (tried again ${GC_EVERY_FETCHES} fetches later): ${String(error)}`));
  }

  private async removeWorktree(mirror: string, path: string): Promise<void> {
    // What `git worktree prune` would do for this one worktree, without a git process per plan:
    // its `.git` file names its record in the mirror (`<mirror>/worktrees/<id>`, see
    // gitrepository-layout), deleted with the directory. The directory is renamed aside at once
    // and deleted in the background (thousands of files take a while on a slow disk, and the job's
    // slot is free meanwhile); the record, which `worktree add` reads, under the exclusive lock.
    const record = await worktreeRecord(mirror, path);
    const aside = await this.moveAside(path);
    if (record) await this.repoLock.exclusive(mirror, () => rm(record, { recursive: true, force: true }));
    if (aside) this.deleteInBackground(aside);
  }

  /** Renames a worktree into `trash/`; undefined when it is gone already (remove() twice). */
  private async moveAside(path: string): Promise<string | undefined> {
    const trash = join(this.opts.dataDir, "trash");
    await mkdir(trash, { recursive: true });
    const aside = join(trash, `${basename(path)}-${randomUUID().slice(0, 8)}`);
    try {
      await rename(path, aside);
      return aside;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  private deleteInBackground(path: string): void {
    const done: Promise<void> = rm(path, { recursive: true, force: true, maxRetries: 3 })
      .catch((error: unknown) => this.opts.warn?.(`could not delete ${path} (removeStale retries at start): ${String(error)}`))
      .finally(() => this.deleting.delete(done));
    this.deleting.add(done);
  }

  /** Resolves once every worktree removed so far is deleted from disk. */
  async settled(): Promise<void> {
    await Promise.all(this.deleting);
  }
}

/** The mirror's record of a worktree, from the worktree's `.git` file; undefined if unreadable or elsewhere. */
async function worktreeRecord(mirror: string, path: string): Promise<string | undefined> {
  const gitFile = await readFile(join(path, ".git"), "utf8").catch(() => "");
  const m = /^gitdir: (.+)$/m.exec(gitFile);
  if (!m) return undefined;
  const record = resolve(path, m[1]!.trim());
  // Never delete anything but a record directly under this mirror's worktrees/.
  return dirname(record) === join(resolve(mirror), "worktrees") ? record : undefined;
}

function checkName(name: string, what: string): void {
  if (!NAME.test(name) || name === "." || name === ".." || name.startsWith("-")) {
    throw new SlipwayError("invalid_repo_name", `invalid ${what} name: ${name}`);
  }
}

function fullSha(sha: string): string {
  const lower = sha.toLowerCase();
  if (!FULL_SHA.test(lower)) throw new SlipwayError("invalid_sha", `not a full commit SHA: ${sha}`);
  return lower;
}

function toRefspec(ref: string): string {
  const full = ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
  if (!REF.test(full) || full.includes("..") || full.endsWith("/")) {
    throw new SlipwayError("invalid_ref", `invalid ref: ${ref}`);
  }
  return `+${full}:${full}`;
}

function safe(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function revParse(mirror: string, rev: string): Promise<string | undefined> {
  try {
    const { stdout } = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", rev], { dir: mirror });
    return stdout.trim() || undefined;
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1) return undefined; // --quiet: "no such object"
    throw error;
  }
}

function resolveCommit(mirror: string, rev: string): Promise<string | undefined> {
  return revParse(mirror, `${rev}^{commit}`);
}

/** A file's content at a commit known to exist; null when the path is missing or not a file. */
async function readBlob(mirror: string, commit: string, path: string): Promise<string | null> {
  try {
    return (await git(["cat-file", "blob", `${commit}:${path}`], { dir: mirror })).stdout;
  } catch (error) {
    // "path 'x' does not exist in '<sha>'", or "bad file" for a directory.
    if (error instanceof GitError && error.exitCode === 128 && /does not exist in|bad file|exists on disk, but not in/.test(error.stderr)) return null;
    throw error;
  }
}

/**
 * What the refs just fetched point at, read from their files: a plan's head is usually its PR
 * ref, and reading a file spares a git process per plan. A packed or missing ref reads as
 * nothing (the caller asks git then). Loose refs are one line, a full SHA (gitrepository-layout).
 */
async function looseRefsAt(mirror: string, refspecs: string[]): Promise<string[]> {
  const refs = refspecs.map((spec) => spec.split(":")[1]!);
  const contents = await Promise.all(refs.map((ref) => readFile(join(mirror, ref), "utf8").catch(() => "")));
  return contents.map((c) => c.trim().toLowerCase()).filter((c) => FULL_SHA.test(c));
}

async function hasCommit(mirror: string, sha: string): Promise<boolean> {
  return (await resolveCommit(mirror, sha)) !== undefined;
}
