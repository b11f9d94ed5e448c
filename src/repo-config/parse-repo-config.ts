// `.slipway.yml` text → a validated, defaulted RepoConfig, or every problem with its file,
// line, column and a fix hint. Never throws for bad input: refusals are results.
import { loadYamlDocument, type YamlLimits, DEFAULT_YAML_LIMITS } from "./load-yaml-document.ts";
import { RepoConfigSchema, type RepoConfig } from "./schema.ts";
import { formatPath, issuesToErrors, type PathError } from "./schema-issues.ts";
import { semanticErrors } from "./semantic-checks.ts";
import { LineIndex, type PositionMap } from "./source-positions.ts";

export interface ConfigError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
  /** Where in the config, e.g. `projects[0].when_modified[1]`; "" for the file as a whole. */
  path: string;
  message: string;
  hint: string;
}

export type ConfigResult = { ok: true; config: RepoConfig } | { ok: false; errors: ConfigError[] };

/** More errors than this are summarised: a wrong file should not produce a wall of text. */
export const MAX_REPORTED_ERRORS = 50;

export function parseRepoConfig(text: string, file = ".slipway.yml", limits: YamlLimits = DEFAULT_YAML_LIMITS): ConfigResult {
  const loaded = loadYamlDocument(text, limits);
  // Built lazily: a 1 GB input is refused before anyone indexes its lines.
  const lines = () => new LineIndex(text);
  if (!loaded.ok) {
    const { line, column } = loaded.offset === 0 ? { line: 1, column: 1 } : lines().at(loaded.offset);
    return { ok: false, errors: [{ file, line, column, path: "", message: loaded.message, hint: loaded.hint }] };
  }

  const { value, positions } = loaded;
  const shapeProblem = topLevelProblem(value);
  if (shapeProblem) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: "", ...shapeProblem }] };
  }

  const parsed = RepoConfigSchema.safeParse(value);
  const pathErrors = parsed.success ? semanticErrors(parsed.data, (path) => positions.has(path)) : issuesToErrors(parsed.error.issues, value, RepoConfigSchema);
  if (parsed.success && pathErrors.length === 0) return { ok: true, config: parsed.data };
  return { ok: false, errors: locate(pathErrors, positions, lines(), file) };
}

function topLevelProblem(value: unknown): { message: string; hint: string } | undefined {
  if (value === null || value === undefined) {
    return { message: "the file is empty", hint: "start it with `version: 1`, then list `projects:`" };
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    const kind = Array.isArray(value) ? "a list" : `a ${typeof value}`;
    return { message: `the top level is ${kind}; it must be a mapping of keys`, hint: "start the file with `version: 1` on its own line, then `projects:`" };
  }
  return undefined;
}

function locate(errors: readonly PathError[], positions: PositionMap, lines: LineIndex, file: string): ConfigError[] {
  const located = errors.map((e) => ({
    file,
    ...lines.at(positions.offsetOf(e.path, e.atKey)),
    path: formatPath(e.path),
    message: e.message,
    hint: e.hint,
  }));
  located.sort((a, b) => a.line - b.line || a.column - b.column);
  if (located.length <= MAX_REPORTED_ERRORS) return located;
  const shown = located.slice(0, MAX_REPORTED_ERRORS);
  const last = shown[shown.length - 1] as ConfigError;
  shown.push({ ...last, path: "", message: `${located.length - MAX_REPORTED_ERRORS} more errors not shown`, hint: "fix the errors above first" });
  return shown;
}
