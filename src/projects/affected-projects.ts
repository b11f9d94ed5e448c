// Changed files → the projects they affect, by each project's when_modified globs.
import picomatch from "picomatch";
import type { ProjectConfig, RepoConfig } from "../repo-config/schema.ts";
import { normaliseChangedPath, resolveProjectGlob } from "./repo-paths.ts";

/**
 * The projects, in config order, that at least one changed file affects: the file matches one
 * of the project's when_modified globs (resolved against its dir) and none of its "!" globs.
 * `changedFiles` are repo-relative posix paths; for a rename pass both the old and the new path,
 * so moving a file out of a project still plans that project.
 */
export function affectedProjects(config: RepoConfig, changedFiles: readonly string[]): ProjectConfig[] {
  const files = [...new Set(changedFiles.map(normaliseChangedPath))];
  return config.projects.filter((project) => {
    const matches = projectMatcher(project);
    return files.some(matches);
  });
}

// Compiling globs costs more than matching them, and every plan of a repository asks for the same
// projects' matchers: compiled ones are kept, by their dir and globs (bounded, oldest forgotten).
const MATCHERS_KEPT = 2000;
const matchers = new Map<string, (file: string) => boolean>();

/** A predicate telling whether a repo-relative path affects `project`. */
export function projectMatcher(project: Pick<ProjectConfig, "dir" | "when_modified">): (file: string) => boolean {
  const key = JSON.stringify([project.dir, project.when_modified]);
  let matcher = matchers.get(key);
  if (matcher) return matcher;
  matcher = compileMatcher(project);
  if (matchers.size >= MATCHERS_KEPT) matchers.delete(matchers.keys().next().value!);
  matchers.set(key, matcher);
  return matcher;
}

function compileMatcher(project: Pick<ProjectConfig, "dir" | "when_modified">): (file: string) => boolean {
  const include: string[] = [];
  const exclude: string[] = [];
  for (const glob of project.when_modified) {
    const resolved = resolveProjectGlob(project.dir, glob);
    if (resolved.escapes) continue;
    (resolved.negated ? exclude : include).push(resolved.pattern);
  }
  if (include.length === 0) return () => false;
  // dot: a change to .terraform.lock.hcl or .tflint.hcl matters as much as any other file.
  const isIncluded = picomatch(include, { dot: true, nonegate: true });
  const isExcluded = exclude.length > 0 ? picomatch(exclude, { dot: true, nonegate: true }) : () => false;
  return (file) => isIncluded(file) && !isExcluded(file);
}
