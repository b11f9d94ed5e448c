// What `slipway check` found → the report machines read (`--json`) and the text people read.
// Pure: the git and file reading happen in repo-changes.ts.
import { affectedProjects } from "../projects/affected-projects.ts";
import { applyOrder } from "../projects/dependency-graph.ts";
import type { ConfigError, ConfigResult } from "../repo-config/parse-repo-config.ts";
import { MINIMAL_CONFIG } from "../presentation/render/config-check.ts";

/** What the changes are compared against, and the paths they touch (repo-relative). */
export interface CheckDiff {
  /** The ref given (`HEAD` by default). */
  base: string;
  /** The ref given, or null for the working tree. */
  head: string | null;
  files: string[];
}

export interface ReportProject {
  name: string;
  dir: string;
  workflow: string;
  environment: string | null;
  depends_on: string[];
  /** The environment's gate: approvals needed and whether it waits for `/apply <environment>`. */
  approvals: number;
  manual: boolean;
}

/** The `--json` shape (documented in the README; add fields, never change them). */
export interface CheckReport {
  valid: boolean;
  config: { file: string; found: boolean; errors: ConfigError[] };
  /** Only when the config is valid. */
  diff?: CheckDiff;
  /** The projects the diff touches, in config order. Only when the config is valid. */
  projects?: ReportProject[];
  /** Waves of touched project names: each applies once every earlier wave has. */
  apply_order?: string[][];
}

export function buildCheckReport(file: string, parsed: ConfigResult | null, diff: CheckDiff): CheckReport {
  if (parsed === null) return { valid: false, config: { file, found: false, errors: [] } };
  if (!parsed.ok) return { valid: false, config: { file, found: true, errors: parsed.errors } };
  const config = parsed.config;
  const touched = affectedProjects(config, diff.files);
  const projects = touched.map((p): ReportProject => {
    const env = p.environment === undefined ? undefined : config.environments[p.environment];
    return {
      name: p.name,
      dir: p.dir,
      workflow: p.workflow,
      environment: p.environment ?? null,
      depends_on: [...p.depends_on],
      approvals: env?.approvals ?? 0,
      manual: env?.manual ?? false,
    };
  });
  return { valid: true, config: { file, found: true, errors: [] }, diff, projects, apply_order: applyOrder(touched, config.projects) };
}

/** Compiler-style, one error per line (`file:line:column: message`), the fix indented below. */
export function formatConfigError(e: ConfigError): string {
  const at = e.path ? ` (at ${e.path})` : "";
  return `${e.file}:${e.line}:${e.column}: ${e.message}${at}${e.hint ? `\n  Fix: ${e.hint}` : ""}`;
}

export function renderCheckText(report: CheckReport): string {
  const { config } = report;
  if (!config.found) {
    return [
      `${config.file}: not found at the root of this repository, so Slipway plans nothing here.`,
      "Add one; a minimal example:",
      "",
      ...MINIMAL_CONFIG.split("\n").map((l) => `  ${l}`),
      "",
    ].join("\n");
  }
  if (!report.valid) {
    const n = config.errors.length;
    return `${config.errors.map(formatConfigError).join("\n")}\n${n === 1 ? "1 error" : `${n} errors`} in ${config.file}\n`;
  }
  const lines = [`${config.file}: valid`];
  const diff = report.diff!;
  const files = diff.files.length === 1 ? "1 changed file" : `${diff.files.length} changed files`;
  lines.push(`${diff.head === null ? "Working tree" : diff.head} against ${diff.base}: ${files}`);
  const projects = report.projects ?? [];
  if (projects.length === 0) {
    lines.push("No project is touched by these changes.");
    return lines.join("\n") + "\n";
  }
  lines.push("", `Projects touched (${projects.length}):`);
  for (const p of projects) lines.push(`  ${p.name}  dir ${p.dir}  workflow ${p.workflow}  ${environmentText(p)}`);
  lines.push("", "Apply order:");
  (report.apply_order ?? []).forEach((wave, i) => lines.push(`  ${i + 1}. ${wave.join(", ")}`));
  return lines.join("\n") + "\n";
}

function environmentText(p: ReportProject): string {
  if (p.environment === null) return "no environment";
  const gates = [`${p.approvals} approval${p.approvals === 1 ? "" : "s"}`, ...(p.manual ? ["manual: waits for /apply " + p.environment] : [])];
  return `environment ${p.environment} (${gates.join(", ")})`;
}
