// Repository-relative paths, always posix: project dirs, when_modified globs and changed files.
import { posix } from "node:path";

export type DirResult = { ok: true; dir: string } | { ok: false; reason: string; hint: string };

/** A project `dir` as written → its normal form ("." for the root, no "./" nor trailing "/"). */
export function normaliseRepoDir(input: string): DirResult {
  const raw = input.trim();
  if (raw === "") return { ok: false, reason: "`dir` is empty", hint: 'use "." for the repository root' };
  if (raw.includes("\\")) {
    return { ok: false, reason: "`dir` contains a backslash", hint: `separate directories with "/": ${raw.replaceAll("\\", "/")}` };
  }
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) {
    return { ok: false, reason: `\`dir\` "${raw}" is absolute`, hint: "write it relative to the repository root, e.g. envs/staging" };
  }
  if (/[*?]/.test(raw)) {
    return { ok: false, reason: `\`dir\` "${raw}" contains a wildcard`, hint: "each project has one directory; list one project per directory" };
  }
  const dir = stripSlashes(posix.normalize(raw));
  if (dir === ".." || dir.startsWith("../")) {
    return { ok: false, reason: `\`dir\` "${raw}" leaves the repository`, hint: "a project directory must be inside the repository" };
  }
  return { ok: true, dir };
}

export interface ResolvedGlob {
  /** Repo-relative picomatch pattern, without the leading "!". */
  pattern: string;
  /** Written with a leading "!": an exclusion. */
  negated: boolean;
  /** Resolves above the repository root, so it can never match. */
  escapes: boolean;
}

/**
 * A `when_modified` glob → a repo-relative pattern. Globs are relative to the project dir
 * ("../../modules/**" from "envs/staging/network" is "envs/modules/**"); a leading "/" anchors
 * the glob at the repository root instead; a leading "!" excludes.
 */
export function resolveProjectGlob(dir: string, glob: string): ResolvedGlob {
  const negated = glob.startsWith("!");
  const body = negated ? glob.slice(1) : glob;
  const joined = body.startsWith("/") ? body.replace(/^\/+/, "") : posix.join(dir, body);
  const pattern = joined === "" ? "." : posix.normalize(joined);
  const escapes = pattern === ".." || pattern.startsWith("../");
  return { pattern, negated, escapes };
}

/** A changed file as GitHub or git reports it → its normal repo-relative form. */
export function normaliseChangedPath(path: string): string {
  return stripSlashes(posix.normalize(path.replace(/^\/+/, "")));
}

function stripSlashes(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "" || trimmed === ".") return ".";
  return trimmed.startsWith("./") ? trimmed.slice(2) : trimmed;
}
