// Reading commits, trees, blobs and diffs out of the bare repos, shaped for the REST handlers.
import { git, runGit, type Person } from "./git.ts";

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Person & { date: string };
  committer: Person & { date: string };
  message: string;
}

// Commits are immutable: cache them by SHA for the life of the process.
const commitCache = new Map<string, CommitInfo>();

function parsePerson(line: string): Person & { date: string } {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: "", date: new Date(0).toISOString() };
  return { name: m[1] as string, email: m[2] as string, date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
}

export async function readCommit(gitDir: string, sha: string): Promise<CommitInfo | undefined> {
  const hit = commitCache.get(sha);
  if (hit) return hit;
  const r = await runGit(gitDir, ["cat-file", "commit", sha]);
  if (r.code !== 0) return undefined;
  const text = r.stdout.toString();
  const split = text.indexOf("\n\n");
  const head = text.slice(0, split).split("\n");
  const info: CommitInfo = {
    sha,
    tree: "",
    parents: [],
    author: parsePerson(""),
    committer: parsePerson(""),
    message: text.slice(split + 2).replace(/\n$/, ""),
  };
  for (const line of head) {
    const sp = line.indexOf(" ");
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === "tree") info.tree = value;
    else if (key === "parent") info.parents.push(value);
    else if (key === "author") info.author = parsePerson(value);
    else if (key === "committer") info.committer = parsePerson(value);
  }
  if (/^[0-9a-f]{40}$/.test(sha)) commitCache.set(sha, info);
  return info;
}

export interface TreeEntry {
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size: number;
  path: string;
}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split("\0")
    .filter(Boolean)
    .map((rec) => {
      const tab = rec.indexOf("\t");
      const [mode, type, sha, size] = rec.slice(0, tab).split(/\s+/) as [string, TreeEntry["type"], string, string];
      return { mode, type, sha, size: size === "-" ? 0 : Number(size), path: rec.slice(tab + 1) };
    });
}

export type PathContent = { kind: "file"; entry: TreeEntry; content: Buffer } | { kind: "dir"; entries: TreeEntry[] } | { kind: "missing" };

/** What `path` is at commit `sha`: a file with its bytes, a directory listing, or nothing. */
export async function readPath(gitDir: string, sha: string, path: string): Promise<PathContent> {
  const clean = path.replace(/^\/+|\/+$/g, "");
  if (clean === "") {
    const r = await runGit(gitDir, ["ls-tree", "-z", "-l", sha]);
    return r.code === 0 ? { kind: "dir", entries: parseLsTree(r.stdout.toString()) } : { kind: "missing" };
  }
  const r = await runGit(gitDir, ["ls-tree", "-z", "-l", sha, "--", clean]);
  const entry = r.code === 0 ? parseLsTree(r.stdout.toString()).find((e) => e.path === clean) : undefined;
  if (!entry) return { kind: "missing" };
  if (entry.type === "tree") {
    const list = await runGit(gitDir, ["ls-tree", "-z", "-l", `${sha}:${clean}`]);
    const entries = parseLsTree(list.stdout.toString()).map((e) => ({ ...e, path: `${clean}/${e.path}` }));
    return { kind: "dir", entries };
  }
  const blob = await runGit(gitDir, ["cat-file", "blob", entry.sha]);
  return { kind: "file", entry, content: blob.stdout };
}

export interface DiffFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  additions: number;
  deletions: number;
  changes: number;
  sha: string;
  previous_filename?: string;
}

const STATUS: Record<string, DiffFile["status"]> = { A: "added", D: "removed", M: "modified", R: "renamed", C: "copied", T: "changed" };
const diffCache = new Map<string, DiffFile[]>();

/** Files changed between the merge base of base and head, and head: what GitHub lists for a PR. */
export async function diffFiles(gitDir: string, base: string, head: string): Promise<DiffFile[]> {
  const key = `${gitDir}\0${base}\0${head}`;
  const hit = diffCache.get(key);
  if (hit) return hit;
  const out = await git(gitDir, ["diff", "-z", "--raw", "--numstat", "-M", "--no-abbrev", `${base}...${head}`]);
  const tokens = out.split("\0");
  const files: DiffFile[] = [];
  const stats: Array<[number, number]> = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as string;
    if (t === "") {
      i++;
      continue;
    }
    if (t.startsWith(":")) {
      const [, , , dstSha, code] = t.slice(1).split(" ") as [string, string, string, string, string];
      const letter = code.charAt(0);
      if (letter === "R" || letter === "C") {
        files.push({
          filename: tokens[i + 2] as string,
          previous_filename: tokens[i + 1] as string,
          status: STATUS[letter] ?? "modified",
          additions: 0,
          deletions: 0,
          changes: 0,
          sha: dstSha,
        });
        i += 3;
      } else {
        files.push({ filename: tokens[i + 1] as string, status: STATUS[letter] ?? "modified", additions: 0, deletions: 0, changes: 0, sha: dstSha });
        i += 2;
      }
      continue;
    }
    const [a, d, path] = t.split("\t") as [string, string, string];
    stats.push([a === "-" ? 0 : Number(a), d === "-" ? 0 : Number(d)]);
    i += path === "" ? 3 : 1; // renames put both paths in the next two tokens
  }
  files.forEach((f, n) => {
    const [a, d] = stats[n] ?? [0, 0];
    Object.assign(f, { additions: a, deletions: d, changes: a + d });
  });
  if (/^[0-9a-f]{40}$/.test(base) && /^[0-9a-f]{40}$/.test(head)) diffCache.set(key, files);
  return files;
}
