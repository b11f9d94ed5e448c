// zod issues → messages and fix hints a user can act on, each tied to a path in the file.
import type { z } from "zod";
import { closestMatch } from "./closest-match.ts";
import { descriptionAt, knownKeysAt } from "./schema-lookup.ts";
import type { PathSegment } from "./source-positions.ts";

export interface PathError {
  path: PathSegment[];
  /** Point at the key rather than the value (unknown and invalid keys). */
  atKey: boolean;
  message: string;
  hint: string;
}

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

const MISSING_HINTS: Record<string, string> = {
  version: "add `version: 1` at the top of the file",
  dir: 'add `dir: <directory relative to the repository root>` ("." for the root)',
  run: 'add `run: "<command>"` or `run: [<argv>...]`',
};

export function issuesToErrors(issues: readonly Issue[], input: unknown, root: AnySchema): PathError[] {
  return issues.flatMap((issue) => issueToErrors(issue, input, root));
}

function issueToErrors(issue: Issue, input: unknown, root: AnySchema): PathError[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== "symbol");
  const label = `\`${lastLabel(path)}\``;
  const where = path.length > 1 ? ` in ${formatPath(path.slice(0, -1))}` : "";
  const doc = descriptionAt(root, path);
  const value = valueAt(input, path);

  if (isMissing(input, path)) {
    const key = String(path[path.length - 1]);
    return [{ path, atKey: false, message: `missing required key ${label}${where}`, hint: MISSING_HINTS[key] ?? `add \`${key}\`${doc ? `: ${doc}` : ""}` }];
  }

  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(root, path);
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, known);
        const inside = path.length > 0 ? ` in ${formatPath(path)}` : "";
        return {
          path: [...path, key],
          atKey: true,
          message: `unknown key \`${key}\`${inside}`,
          hint: suggestion ? `did you mean \`${suggestion}\`?` : `allowed keys here: ${known.map((k) => `\`${k}\``).join(", ")}`,
        };
      });
    }
    case "invalid_value": {
      if (path.length === 1 && path[0] === "version") {
        const quoted = value === "1" ? " without quotes" : "";
        return [{ path, atKey: false, message: `unsupported version ${show(value)}; this Slipway reads version 1`, hint: `write \`version: 1\`${quoted}` }];
      }
      const allowed = issue.values.map((v) => `\`${String(v)}\``).join(", ");
      const suggestion = typeof value === "string" ? closestMatch(value, issue.values.map(String)) : undefined;
      return [
        {
          path,
          atKey: false,
          message: `${label} must be one of ${allowed}; got ${show(value)}`,
          hint: suggestion ? `did you mean \`${suggestion}\`?` : `use one of: ${allowed}`,
        },
      ];
    }
    case "invalid_type":
      return [
        {
          path,
          atKey: false,
          message: `${label} must be ${expectedName(issue.expected)}; got ${show(value)}`,
          hint: typeHint(issue.expected, value, path, doc),
        },
      ];
    case "invalid_union": {
      const expected = [...new Set(issue.errors.flatMap((branch) => branch.filter((i) => i.code === "invalid_type").map((i) => expectedName(i.expected))))];
      return [
        {
          path,
          atKey: false,
          message: `${label} must be ${expected.join(" or ") || "a different value"}; got ${show(value)}`,
          hint: doc ?? "check the value's type",
        },
      ];
    }
    case "invalid_key": {
      const inner = issue.issues[0];
      const hint = (inner?.code === "custom" ? hintOf(inner) : undefined) ?? doc ?? "rename this key";
      return [{ path, atKey: true, message: inner?.message ?? `invalid key ${label}`, hint }];
    }
    case "too_small": {
      const message =
        issue.origin === "array"
          ? `${label} must not be an empty list`
          : issue.origin === "string"
            ? `${label} must not be empty`
            : `${label} must be ${issue.inclusive ? "at least" : "greater than"} ${String(issue.minimum)}; got ${show(value)}`;
      return [{ path, atKey: false, message, hint: doc ?? "change the value" }];
    }
    case "invalid_format":
      return [{ path, atKey: false, message: `${label}: ${issue.message}; got ${show(value)}`, hint: formatHint(value) ?? doc ?? "change the value" }];
    case "custom":
      return [{ path, atKey: false, message: issue.message, hint: hintOf(issue) ?? doc ?? "change the value" }];
    default:
      return [{ path, atKey: false, message: `${label}: ${issue.message}`, hint: doc ?? "change the value" }];
  }
}

function hintOf(issue: { params?: Record<string, unknown> }): string | undefined {
  const hint = issue.params?.["hint"];
  return typeof hint === "string" ? hint : undefined;
}

function typeHint(expected: string, value: unknown, path: readonly PathSegment[], doc: string | undefined): string {
  if (expected === "boolean" && typeof value === "string") {
    const yes = ["yes", "on", "true", "y"].includes(value.toLowerCase());
    const no = ["no", "off", "false", "n"].includes(value.toLowerCase());
    return yes || no ? `write \`${yes}\` without quotes` : "write `true` or `false`";
  }
  if ((expected === "number" || expected === "int") && typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
    return "write the number without quotes";
  }
  if (expected === "string" && (typeof value === "number" || typeof value === "boolean")) return `quote it: "${String(value)}"`;
  if (expected === "object" && path[0] === "projects" && path.length === 2 && typeof value === "string") {
    return `each project is a mapping, e.g. \`- dir: ${value}\``;
  }
  if (value === null) return `give \`${String(path[path.length - 1])}\` a value, or remove the key`;
  if (expected === "array" && typeof value === "string") return `write a list: [${JSON.stringify(value)}]`;
  if (expected === "array" && typeof value === "object") return "make it a list: start each entry with `- `";
  return doc ?? `write ${expectedName(expected)}`;
}

function formatHint(value: unknown): string | undefined {
  if (typeof value === "string" && /^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/.test(value)) return `teams start with "@": "@${value}"`;
  return undefined;
}

function expectedName(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "`true` or `false`",
    array: "a list",
    object: "a mapping",
    record: "a mapping",
  };
  return names[expected] ?? expected;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function lastLabel(path: readonly PathSegment[]): string {
  let start = path.length - 1;
  while (start > 0 && typeof path[start] === "number") start--;
  return start < 0 ? "(top level)" : formatPath(path.slice(start));
}

/** ["projects", 0, "when_modified", 1] → projects[0].when_modified[1] */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function isMissing(input: unknown, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(input, path.slice(0, -1));
  const key = path[path.length - 1] as PathSegment;
  return parent !== null && typeof parent === "object" && !Array.isArray(parent) && !Object.hasOwn(parent, key);
}
