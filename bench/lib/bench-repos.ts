// Repositories the benchmarks plan: N one-directory projects sharing one custom workflow, and
// helpers to open many pull requests against them in parallel lanes (one repo's git writes are
// serialised by the simulator anyway).
import type { PullInfo, Scenario } from "../../test/support/github-simulator/index.ts";

export interface WorkflowSteps {
  /** Each step as `.slipway.yml` spells `run`: a string (run with `sh -c`) or an argv. */
  plan: (string | string[])[];
  validate?: (string | string[])[];
}

export function projectName(i: number): string {
  return `p${String(i).padStart(3, "0")}`;
}

/** `.slipway.yml` plus one `main.tf` per project directory. */
export function projectsRepoFiles(projects: string[], steps: WorkflowSteps, extra: Record<string, string> = {}): Record<string, string> {
  const step = (run: string | string[]) => `{run: ${JSON.stringify(run)}, timeout_seconds: 300}`;
  const yaml = [
    "version: 1",
    "projects:",
    ...projects.flatMap((p) => [`  - name: ${p}`, `    dir: ${p}`, "    workflow: bench"]),
    "workflows:",
    "  bench:",
    ...(steps.validate ? [`    validate: [${steps.validate.map(step).join(", ")}]`] : []),
    `    plan: [${steps.plan.map(step).join(", ")}]`,
    "",
  ].join("\n");
  const files: Record<string, string> = { ".slipway.yml": yaml, ...extra };
  for (const p of projects) files[`${p}/main.tf`] = `# ${p}\n`;
  return files;
}

export interface PullSpec {
  repo: string;
  branch: string;
  files: Record<string, string>;
}

/** Opens every spec's PR, `lanes` at a time; results are in spec order. */
export function openPulls(gh: Scenario, specs: PullSpec[], author: string, lanes = 8): Promise<PullInfo[]> {
  return inLanes(specs, lanes, (s) => gh.openPullRequest({ repo: s.repo, author, branch: s.branch, files: s.files }));
}

/** Runs `fn` over items with at most `lanes` in flight; results in item order. */
export async function inLanes<T, R>(items: T[], lanes: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
