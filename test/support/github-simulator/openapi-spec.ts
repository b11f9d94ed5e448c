// GitHub's own REST description (@octokit/openapi), loaded once per process and indexed for
// matching request paths to operations. We read the non-dereferenced file: the deref one is
// 73 MB (≈0.8 s, ≈220 MB heap) against 13 MB (≈0.15 s, ≈40 MB) here; ajv resolves the $refs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface OpenApiOperation {
  operationId: string;
  method: string;
  template: string;
  hasRequestBody: boolean;
}

export interface MatchedOperation {
  operation: OpenApiOperation;
  params: Record<string, string>;
}

interface IndexedTemplate {
  operation: OpenApiOperation;
  segments: string[];
  literalCount: number;
}

export interface LoadedSpec {
  document: Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };
  byMethod: Map<string, IndexedTemplate[]>;
  loadMs: number;
}

const METHODS = ["get", "post", "put", "patch", "delete", "head"];
let cached: LoadedSpec | undefined;

function specPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@octokit/openapi/package.json");
  return join(dirname(pkg), "generated", "api.github.com.json");
}

/** OpenAPI 3.0 `nullable` without `type` makes ajv refuse to compile: turn it into anyOf+null. */
function fixNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) fixNullable(item);
    return;
  }
  if (!node || typeof node !== "object") return;
  const obj = node as Record<string, unknown>;
  for (const value of Object.values(obj)) fixNullable(value);
  // ajv checks `enum` on its own: a nullable enum must list null to accept it.
  if (obj.nullable === true && Array.isArray(obj.enum) && !obj.enum.includes(null)) obj.enum = [...obj.enum, null];
  if (obj.nullable === true && obj.type === undefined) {
    const copy = { ...obj };
    delete copy.nullable;
    for (const key of Object.keys(obj)) delete obj[key];
    obj.anyOf = [copy, { type: "null" }];
  }
}

export function loadSpec(): LoadedSpec {
  if (cached) return cached;
  const started = performance.now();
  const document = JSON.parse(readFileSync(specPath(), "utf8")) as LoadedSpec["document"];
  fixNullable(document.components);
  fixNullable(document.paths);
  const byMethod = new Map<string, IndexedTemplate[]>();
  for (const [template, item] of Object.entries(document.paths)) {
    const segments = template.split("/").slice(1);
    const literalCount = segments.filter((s) => !s.startsWith("{")).length;
    for (const method of METHODS) {
      const op = item[method] as { operationId?: string; requestBody?: unknown } | undefined;
      if (!op?.operationId) continue;
      const list = byMethod.get(method.toUpperCase()) ?? [];
      list.push({
        operation: { operationId: op.operationId, method: method.toUpperCase(), template, hasRequestBody: !!op.requestBody },
        segments,
        literalCount,
      });
      byMethod.set(method.toUpperCase(), list);
    }
  }
  // More literal segments first: `/repos/{o}/{r}/pulls/comments` must win over `/repos/{o}/{r}/pulls/{n}`.
  for (const list of byMethod.values()) list.sort((a, b) => b.literalCount - a.literalCount);
  cached = { document, byMethod, loadMs: Math.round(performance.now() - started) };
  return cached;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// Only these parameters may hold slashes (branch names, file paths); `/repos/o/r/x` is not a repo "r/x".
const SLASHED_PARAMS = new Set(["{ref}", "{path}", "{basehead}", "{branch}"]);

function tryMatch(t: IndexedTemplate, parts: string[], greedyTail: boolean): Record<string, string> | undefined {
  const last = t.segments.length - 1;
  const tailParam = greedyTail && SLASHED_PARAMS.has(t.segments[last] ?? "");
  if (tailParam ? parts.length < t.segments.length : parts.length !== t.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.segments.length; i++) {
    const seg = t.segments[i] as string;
    const part = parts[i] as string;
    if (seg.startsWith("{")) {
      const name = seg.slice(1, -1);
      // Branch names and file paths may arrive with literal slashes (git clients, curl).
      params[name] = i === last && tailParam ? parts.slice(i).map(decode).join("/") : decode(part);
      if (params[name] === "") return undefined;
    } else if (seg !== part) {
      return undefined;
    }
  }
  return params;
}

/** Match a path below /api/v3 (e.g. `/repos/o/r/pulls/1`) to an operation, or undefined. */
export function matchOperation(method: string, path: string): MatchedOperation | undefined {
  const list = loadSpec().byMethod.get(method.toUpperCase());
  if (!list) return undefined;
  const parts = path.split("/").slice(1);
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  for (const greedy of [false, true]) {
    for (const t of list) {
      const params = tryMatch(t, parts, greedy);
      if (params) return { operation: t.operation, params };
    }
  }
  return undefined;
}
