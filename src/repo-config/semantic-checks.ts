// Checks that span fields, run on the schema-valid config: names, references, the depends_on
// graph, globs against their dir, and gates that can never be met.
import { findCycle, unknownDependencies } from "../projects/dependency-graph.ts";
import { resolveProjectGlob } from "../projects/repo-paths.ts";
import { closestMatch } from "./closest-match.ts";
import { BUILT_IN_WORKFLOWS, type RepoConfig } from "./schema.ts";
import type { PathError } from "./schema-issues.ts";
import type { PathSegment } from "./source-positions.ts";

/** `written(path)`: the path appears in the file (rather than being a default). */
export function semanticErrors(config: RepoConfig, written: (path: PathSegment[]) => boolean): PathError[] {
  return [...duplicateNames(config, written), ...dependencyErrors(config), ...workflowErrors(config), ...globErrors(config), ...unreachableApprovals(config)];
}

function duplicateNames(config: RepoConfig, written: (path: PathSegment[]) => boolean): PathError[] {
  const first = new Map<string, number>();
  const errors: PathError[] = [];
  config.projects.forEach((project, i) => {
    const earlier = first.get(project.name);
    if (earlier === undefined) {
      first.set(project.name, i);
      return;
    }
    const named = written(["projects", i, "name"]);
    errors.push({
      path: ["projects", i, named ? "name" : "dir"],
      atKey: false,
      message: `project name \`${project.name}\` is already used by projects[${earlier}]`,
      hint: named
        ? "give each project a unique `name`"
        : "projects without `name` are named after their `dir`; add a distinct `name` to each project sharing this dir",
    });
  });
  return errors;
}

function dependencyErrors(config: RepoConfig): PathError[] {
  const names = config.projects.map((p) => p.name);
  const errors: PathError[] = unknownDependencies(config.projects).map(({ project, entry, name }) => {
    const suggestion = closestMatch(name, names);
    return {
      path: ["projects", project, "depends_on", entry],
      atKey: false,
      message: `\`depends_on\` names an unknown project \`${name}\``,
      hint: suggestion ? `did you mean \`${suggestion}\`?` : `known projects: ${listOf([...new Set(names)])}`,
    };
  });

  const cycle = findCycle(config.projects);
  if (cycle) {
    const [from, to] = cycle as [string, string];
    const index = config.projects.findIndex((p) => p.name === from);
    const entry = config.projects[index]?.depends_on.indexOf(to) ?? 0;
    errors.push({
      path: ["projects", index, "depends_on", entry],
      atKey: false,
      message: cycle.length === 2 ? `project \`${from}\` depends on itself` : `\`depends_on\` cycle: ${cycle.join(" → ")}`,
      hint: "remove one dependency of the cycle; projects must apply in a fixed order",
    });
  }
  return errors;
}

function workflowErrors(config: RepoConfig): PathError[] {
  const known: string[] = [...BUILT_IN_WORKFLOWS, ...Object.keys(config.workflows)];
  const builtInKubernetes = !Object.hasOwn(config.workflows, "kubernetes");
  return config.projects.flatMap((project, i): PathError[] => {
    // A setting nothing reads must not look as if it did something (a prune the user thinks is on).
    if (project.kubernetes !== undefined && !(project.workflow === "kubernetes" && builtInKubernetes)) {
      return [
        {
          path: ["projects", i, "kubernetes"],
          atKey: true,
          message: `\`kubernetes\` settings are read only by the built-in \`kubernetes\` workflow, and project \`${project.name}\` runs ${project.workflow === "kubernetes" ? "a custom `kubernetes` workflow" : `\`${project.workflow}\``}`,
          hint: "remove `kubernetes`, or use `workflow: kubernetes` without a custom workflow of that name",
        },
      ];
    }
    if (known.includes(project.workflow)) return [];
    const suggestion = closestMatch(project.workflow, known);
    return [
      {
        path: ["projects", i, "workflow"],
        atKey: false,
        message: `unknown workflow \`${project.workflow}\``,
        hint: suggestion
          ? `did you mean \`${suggestion}\`?`
          : `use terraform, opentofu, ansible or kubernetes, or define \`${project.workflow}\` under \`workflows\``,
      },
    ];
  });
}

function globErrors(config: RepoConfig): PathError[] {
  return config.projects.flatMap((project, i) => {
    const resolved = project.when_modified.map((glob) => resolveProjectGlob(project.dir, glob));
    const errors: PathError[] = [];
    resolved.forEach((glob, j) => {
      if (!glob.escapes) return;
      errors.push({
        path: ["projects", i, "when_modified", j],
        atKey: false,
        message: `glob "${project.when_modified[j]}" resolves outside the repository from dir \`${project.dir}\``,
        hint: 'use fewer "../", or start the glob with "/" to mean the repository root',
      });
    });
    if (resolved.length > 0 && resolved.every((g) => g.negated)) {
      errors.push({
        path: ["projects", i, "when_modified"],
        atKey: false,
        message: '`when_modified` has only exclusions ("!..."), so no change would ever affect this project',
        hint: 'put an inclusion before the exclusions, e.g. ["**/*", "!**/*.md"]',
      });
    }
    return errors;
  });
}

function unreachableApprovals(config: RepoConfig): PathError[] {
  return Object.entries(config.environments).flatMap(([name, env]) => {
    const teams = env.approvers.some((a) => a.startsWith("@"));
    const people = new Set(env.approvers.map((a) => a.toLowerCase())).size;
    if (env.approvers.length === 0 || teams || env.approvals <= people) return [];
    return [
      {
        path: ["environments", name, "approvals"],
        atKey: false,
        message: `environment \`${name}\` needs ${env.approvals} approvals but lists only ${people} approver${people === 1 ? "" : "s"}`,
        hint: 'lower `approvals` or add approvers (a team such as "@org/team" counts its members)',
      },
    ];
  });
}

function listOf(names: readonly string[]): string {
  const shown = names
    .slice(0, 10)
    .map((n) => `\`${n}\``)
    .join(", ");
  return names.length > 10 ? `${shown}, ...` : shown || "(none)";
}
