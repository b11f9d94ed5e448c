// Plumbing over real bare repositories. Commits are made with one `git fast-import` process and
// merges with `git merge-tree --write-tree` + `commit-tree`: no worktrees, few processes, because
// benchmarks open hundreds of PRs against the simulator.
import { spawn } from "node:child_process";

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface Person {
  name: string;
  email: string;
}

const baseEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: "0",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  LC_ALL: "C",
};

export function runGit(gitDir: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["--git-dir", gitDir, ...args], { env: { ...baseEnv, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on("error", () => undefined); // git may exit before reading all input
    child.stdin.end(opts.input ?? "");
  });
}

export async function git(gitDir: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await runGit(gitDir, args, opts);
  if (r.code !== 0) throw new Error(`git ${args[0]} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout.toString();
}

export async function initBareRepo(gitDir: string, defaultBranch: string): Promise<void> {
  const r = await new Promise<number>((resolve, reject) => {
    const c = spawn("git", ["init", "--quiet", "--bare", "-b", defaultBranch, gitDir], { env: baseEnv, stdio: "ignore" });
    c.on("error", reject);
    c.on("close", (code) => resolve(code ?? 1));
  });
  if (r !== 0) throw new Error(`git init failed for ${gitDir}`);
  // GitHub serves any reachable SHA and PR refs, but refuses pushes to refs/pull/*.
  await git(gitDir, ["config", "uploadpack.allowAnySHA1InWant", "true"]);
  await git(gitDir, ["config", "http.receivepack", "true"]);
  await git(gitDir, ["config", "receive.hideRefs", "refs/pull"]);
  await git(gitDir, ["config", "gc.auto", "0"]);
}

export type FileChange = string | Buffer | null | { content: string | Buffer; executable?: boolean };

export interface CommitRequest {
  /** Branch to move (refs/heads/...), forced, like a push of the new commit. */
  ref: string;
  parent?: string;
  files: Record<string, FileChange>;
  message: string;
  author: Person;
  /** Extra refs to point at the new commit (refs/pull/N/head). */
  alsoRefs?: string[];
}

function dataBlock(content: Buffer): Buffer[] {
  return [Buffer.from(`data ${content.length}\n`), content, Buffer.from("\n")];
}

/** One commit on top of `parent` with the given file changes; returns the new commit SHA. */
export async function commitFiles(gitDir: string, req: CommitRequest): Promise<string> {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const who = `${req.author.name} <${req.author.email}> ${when}`;
  const chunks: Buffer[] = [Buffer.from(`commit ${req.ref}\nmark :1\nauthor ${who}\ncommitter ${who}\n`), ...dataBlock(Buffer.from(req.message))];
  if (req.parent) chunks.push(Buffer.from(`from ${req.parent}\n`));
  for (const [path, change] of Object.entries(req.files)) {
    if (/[\n"]/.test(path) || path.startsWith("/")) throw new Error(`unsupported path ${JSON.stringify(path)}`);
    if (change === null) {
      chunks.push(Buffer.from(`D ${path}\n`));
      continue;
    }
    const content = typeof change === "string" || Buffer.isBuffer(change) ? change : change.content;
    const exec = typeof change === "object" && !Buffer.isBuffer(change) ? change.executable : path.endsWith(".sh");
    chunks.push(Buffer.from(`M ${exec ? "100755" : "100644"} inline ${path}\n`), ...dataBlock(Buffer.from(content)));
  }
  chunks.push(Buffer.from("\n"));
  for (const extra of req.alsoRefs ?? []) chunks.push(Buffer.from(`reset ${extra}\nfrom :1\n\n`));
  chunks.push(Buffer.from("get-mark :1\n"));
  const out = await git(gitDir, ["fast-import", "--quiet", "--force", "--done"], { input: Buffer.concat([...chunks, Buffer.from("done\n")]) });
  const sha = out.trim().split("\n").pop() ?? "";
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`fast-import gave no commit id: ${out}`);
  return sha;
}

/** A merge commit of `head` into `base` if they merge cleanly (git's ort merge), else undefined. */
export async function mergeCommit(gitDir: string, base: string, head: string, message: string, author: Person): Promise<string | undefined> {
  const tree = await mergeTree(gitDir, base, head);
  if (!tree) return undefined;
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: when,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
    GIT_COMMITTER_DATE: when,
  };
  return (await git(gitDir, ["commit-tree", tree, "-p", base, "-p", head, "-F", "-"], { input: message, env })).trim();
}

export async function mergeTree(gitDir: string, base: string, head: string): Promise<string | undefined> {
  const r = await runGit(gitDir, ["merge-tree", "--write-tree", "--no-messages", base, head]);
  if (r.code === 1) return undefined;
  if (r.code !== 0) throw new Error(`git merge-tree failed: ${r.stderr.trim()}`);
  return r.stdout.toString().split("\n")[0]?.trim();
}

export async function updateRef(gitDir: string, ref: string, sha: string, oldSha?: string): Promise<boolean> {
  const r = await runGit(gitDir, ["update-ref", ref, sha, ...(oldSha ? [oldSha] : [])]);
  return r.code === 0;
}

export async function deleteRef(gitDir: string, ref: string): Promise<void> {
  await git(gitDir, ["update-ref", "-d", ref]);
}

/** Resolve a branch, tag, ref or SHA to a commit SHA. */
export async function resolveCommit(gitDir: string, rev: string): Promise<string | undefined> {
  if (rev.startsWith("-")) return undefined;
  const r = await runGit(gitDir, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.toString().trim() : undefined;
}

export async function listRefs(gitDir: string, prefix = "refs/"): Promise<Map<string, string>> {
  const out = await git(gitDir, ["for-each-ref", "--format=%(objectname) %(refname)", prefix]);
  const refs = new Map<string, string>();
  for (const line of out.split("\n")) {
    const i = line.indexOf(" ");
    if (i > 0) refs.set(line.slice(i + 1), line.slice(0, i));
  }
  return refs;
}

export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await runGit(gitDir, ["merge-base", "--is-ancestor", ancestor, descendant])).code === 0;
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | undefined> {
  const r = await runGit(gitDir, ["merge-base", a, b]);
  return r.code === 0 ? r.stdout.toString().trim() : undefined;
}

/** Commits in `head` not in `base`, oldest first (GitHub's compare/PR commit order). */
export async function commitsBetween(gitDir: string, base: string, head: string): Promise<string[]> {
  const out = await git(gitDir, ["rev-list", "--reverse", `${base}..${head}`]);
  return out.split("\n").filter(Boolean);
}
