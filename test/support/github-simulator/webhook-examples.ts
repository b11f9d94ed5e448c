// GitHub's recorded webhook payloads (@octokit/webhooks-examples), used as templates so every
// field a real delivery carries is present; the builder overwrites what the simulator knows.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

interface ExampleGroup {
  name: string;
  actions: string[];
  examples: Array<Record<string, unknown>>;
}

let groups: Map<string, ExampleGroup> | undefined;

function load(): Map<string, ExampleGroup> {
  if (groups) return groups;
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve("@octokit/webhooks-examples/package.json")), "api.github.com", "index.json");
  const list = JSON.parse(readFileSync(file, "utf8")) as ExampleGroup[];
  groups = new Map(list.map((g) => [g.name, g]));
  return groups;
}

/** A fresh deep copy of an example for event+action, preferring one that has `installation`. */
export function pickExample(event: string, action?: string): Record<string, unknown> {
  const group = load().get(event);
  if (!group) throw new Error(`no webhook example for event ${event}`);
  const matching = group.examples.filter((e) => action === undefined || e.action === action);
  if (matching.length === 0) throw new Error(`no webhook example for ${event}.${action}`);
  const chosen = matching.find((e) => e.installation) ?? (matching[0] as Record<string, unknown>);
  return structuredClone(chosen);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/**
 * Overlay `source` onto `target` recursively. Keys only the example has survive (webhook-only
 * fields); where the example carries a unix timestamp and we have an ISO string, keep the
 * example's type (push payloads use numbers for repository dates).
 */
export function overlay(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) {
      overlay(current, value);
    } else if (typeof current === "number" && typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) {
      target[key] = Math.floor(Date.parse(value) / 1000);
    } else {
      target[key] = structuredClone(value);
    }
  }
  return target;
}
