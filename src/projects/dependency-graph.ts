// The depends_on graph: references to unknown projects, cycles, and the order of applies.
import { SlipwayError, type ProjectName } from "../domain/types.ts";

/** The part of a project the graph needs; ProjectConfig fits. */
export interface GraphNode {
  name: ProjectName;
  depends_on: readonly ProjectName[];
}

export interface UnknownDependency {
  /** Index of the project in the list given. */
  project: number;
  /** Index of the entry in its depends_on. */
  entry: number;
  name: ProjectName;
}

export function unknownDependencies(projects: readonly GraphNode[]): UnknownDependency[] {
  const names = new Set(projects.map((p) => p.name));
  const unknown: UnknownDependency[] = [];
  projects.forEach((p, project) =>
    p.depends_on.forEach((name, entry) => {
      if (!names.has(name)) unknown.push({ project, entry, name });
    }),
  );
  return unknown;
}

/**
 * The first depends_on cycle found, in config order, as a closed walk: ["a", "b", "a"]
 * (a depends on b, b on a); ["a", "a"] for a project that depends on itself.
 * Unknown names are ignored (unknownDependencies reports them).
 */
export function findCycle(projects: readonly GraphNode[]): ProjectName[] | undefined {
  const byName = new Map<ProjectName, GraphNode>();
  for (const p of projects) if (!byName.has(p.name)) byName.set(p.name, p);
  const done = new Set<ProjectName>();

  for (const start of projects) {
    if (done.has(start.name)) continue;
    // Iterative DFS: a long chain of projects must not overflow the call stack.
    const trail: ProjectName[] = [start.name];
    const onTrail = new Set<ProjectName>([start.name]);
    const cursors: number[] = [0];
    while (trail.length > 0) {
      const top = trail.length - 1;
      const node = byName.get(trail[top] as ProjectName) as GraphNode;
      const cursor = cursors[top] as number;
      if (cursor >= node.depends_on.length) {
        done.add(node.name);
        onTrail.delete(node.name);
        trail.pop();
        cursors.pop();
        continue;
      }
      cursors[top] = cursor + 1;
      const next = node.depends_on[cursor] as ProjectName;
      if (onTrail.has(next)) return [...trail.slice(trail.indexOf(next)), next];
      if (done.has(next) || !byName.has(next)) continue;
      trail.push(next);
      onTrail.add(next);
      cursors.push(0);
    }
  }
  return undefined;
}

/**
 * Groups `projects` into waves: every project of a wave may apply once all earlier waves
 * succeeded, and projects within a wave do not depend on each other. Order within a wave is
 * the order given (config order).
 *
 * Only the given projects are ordered; projects outside them are never added. Pass every
 * project of the config as `all` to keep the order through outside projects: when a depends
 * on b and b on c, and only a and c are given, a still waits for c.
 * Throws on a cycle: a validated config has none, so one here is a fault.
 */
export function applyOrder(projects: readonly GraphNode[], all: readonly GraphNode[] = projects): ProjectName[][] {
  const wanted = new Set(projects.map((p) => p.name));
  const graph = new Map<ProjectName, readonly ProjectName[]>();
  for (const p of all) if (!graph.has(p.name)) graph.set(p.name, p.depends_on);
  for (const p of projects) if (!graph.has(p.name)) graph.set(p.name, p.depends_on);

  const prerequisites = new Map<ProjectName, Set<ProjectName>>();
  for (const p of projects) prerequisites.set(p.name, reachableWanted(p.name, graph, wanted));

  const placed = new Set<ProjectName>();
  const waves: ProjectName[][] = [];
  let remaining = [...new Set(projects.map((p) => p.name))];
  while (remaining.length > 0) {
    const wave = remaining.filter((name) => [...(prerequisites.get(name) ?? [])].every((d) => placed.has(d)));
    if (wave.length === 0) {
      throw new SlipwayError("dependency_cycle", `depends_on cycle among: ${remaining.join(", ")}`);
    }
    for (const name of wave) placed.add(name);
    waves.push(wave);
    remaining = remaining.filter((name) => !placed.has(name));
  }
  return waves;
}

/** The given projects that `from` depends on, directly or through any project in the graph. */
function reachableWanted(from: ProjectName, graph: ReadonlyMap<ProjectName, readonly ProjectName[]>, wanted: ReadonlySet<ProjectName>): Set<ProjectName> {
  const found = new Set<ProjectName>();
  const seen = new Set<ProjectName>([from]);
  const queue = [...(graph.get(from) ?? [])];
  while (queue.length > 0) {
    const name = queue.pop() as ProjectName;
    if (name === from) {
      throw new SlipwayError("dependency_cycle", `depends_on cycle through ${from}`);
    }
    if (seen.has(name)) continue;
    seen.add(name);
    if (wanted.has(name)) found.add(name);
    queue.push(...(graph.get(name) ?? []));
  }
  return found;
}
