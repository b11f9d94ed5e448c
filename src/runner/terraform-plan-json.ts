// Terraform's (and OpenTofu's) JSON plan, as `show -json <planfile>` prints it, → exact counts,
// the touched resources and a digest of the change. Pure.
//
// Format: https://developer.hashicorp.com/terraform/internals/json-format. What is read:
// - `format_version` "1.x"; another major version is refused, as the format's own rules ask.
// - `resource_changes[]`: `address`, `previous_address` (moved), `deposed`, `mode`, `type`,
//   `provider_name`, and `change` {`actions`, `importing`, `before`, `after`, `after_unknown`,
//   `before_sensitive`, `after_sensitive`}. Unknown properties are ignored (forward-compatible).
// - `output_changes{name: {actions, before, after, …}}`.
// Not read: `resource_drift` (changes made outside terraform, not part of what apply does),
// `timestamp`, `prior_state`, `configuration`, `planned_values` (derivable or noise).
import { createHash } from "node:crypto";
import type { ChangeCounts, ResourceAction, ResourceChange } from "../domain/types.ts";
import { canonicalJson } from "./canonical-json.ts";

export interface TerraformPlanSummary {
  counts: ChangeCounts;
  /** Every resource the plan touches (no-ops only when imported or moved), sorted by address. */
  resources: ResourceChange[];
  /** Names of outputs whose value changes, sorted. */
  outputs: string[];
  /** sha256 (hex) of the change; see `planJsonDigest`. */
  digest: string;
}

export type TerraformPlanRead = { ok: true; summary: TerraformPlanSummary } | { ok: false; error: string };

interface RawChange {
  address: string;
  previous_address?: string;
  deposed?: string;
  mode?: string;
  type?: string;
  provider_name?: string;
  change: {
    actions: string[];
    importing?: unknown;
    before?: unknown;
    after?: unknown;
    after_unknown?: unknown;
    before_sensitive?: unknown;
    after_sensitive?: unknown;
  };
}

/** Versioned, so a digest of another kind (text, or a later rule) never equals one of this. */
const DIGEST_PREFIX = "slipway terraform-plan-json digest v1\n";

export function readTerraformPlanJson(text: string): TerraformPlanRead {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `the JSON plan is not valid JSON (${(e as Error).message})` };
  }
  if (!isObject(doc)) return { ok: false, error: "the JSON plan is not an object" };
  const version = doc.format_version;
  if (typeof version !== "string" || !/^1\.\d+$/.test(version)) {
    return { ok: false, error: `the JSON plan has format_version ${JSON.stringify(version)}; Slipway reads 1.x` };
  }
  const rawChanges = doc.resource_changes ?? [];
  if (!Array.isArray(rawChanges)) return { ok: false, error: "resource_changes is not a list" };
  const changes: RawChange[] = [];
  for (const [i, c] of rawChanges.entries()) {
    const problem = checkChange(c);
    if (problem) return { ok: false, error: `resource_changes[${i}]: ${problem}` };
    changes.push(c as RawChange);
  }
  const rawOutputs = doc.output_changes ?? {};
  if (!isObject(rawOutputs)) return { ok: false, error: "output_changes is not an object" };
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [name, o] of Object.entries(rawOutputs)) {
    if (!isObject(o) || !isObject(o.change ?? o) || !actionsOf(o)) return { ok: false, error: `output_changes.${name}: no actions` };
    outputs[name] = o;
  }

  const touched = changes.filter(isTouched).sort(byAddress);
  const changedOutputs = Object.keys(outputs)
    .filter((name) => !isNoOp(actionsOf(outputs[name]!)!))
    .sort();
  return {
    ok: true,
    summary: {
      counts: countChanges(touched),
      resources: touched.map(toResourceChange),
      outputs: changedOutputs,
      digest: planJsonDigest(
        touched,
        changedOutputs.map((name) => [name, outputs[name]!]),
      ),
    },
  };
}

/**
 * The digest rule: sha256 over the canonical JSON (keys sorted) of
 * - the touched resource changes — every entry but a pure no-op (a no-op that imports or moves
 *   is touched: apply changes the state) — sorted by address then deposed key, each reduced to
 *   its identity (address, previous_address, deposed, mode, type, provider_name) and its change
 *   (actions, importing, before, after, after_unknown, before_sensitive, after_sensitive);
 * - the changed outputs, by name, with the same change fields.
 * So the order terraform lists them in, its `timestamp`, unchanged resources (whose refreshed
 * state may differ between two runs) and drift outside terraform do not count; a different
 * action or a different value does. Outputs count although they are not resources: another
 * project may read them, and a plan that changes only outputs must not digest like "no changes".
 */
function planJsonDigest(touched: RawChange[], outputs: [string, Record<string, unknown>][]): string {
  const resources = touched.map((c) => ({
    address: c.address,
    previous_address: c.previous_address,
    deposed: c.deposed,
    mode: c.mode,
    type: c.type,
    provider_name: c.provider_name,
    change: changeFields(c.change),
  }));
  const outs = Object.fromEntries(outputs.map(([name, o]) => [name, changeFields(isObject(o.change) ? o.change : o)]));
  return createHash("sha256")
    .update(DIGEST_PREFIX + canonicalJson({ resource_changes: resources, output_changes: outs }))
    .digest("hex");
}

function changeFields(change: Record<string, unknown>): Record<string, unknown> {
  const { actions, importing, before, after, after_unknown, before_sensitive, after_sensitive } = change;
  return { actions, importing, before, after, after_unknown, before_sensitive, after_sensitive };
}

function countChanges(touched: RawChange[]): ChangeCounts {
  const counts = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0 };
  for (const c of touched) {
    const action = actionOf(c.change.actions);
    // As terraform's summary line counts: a replacement is one add and one destroy.
    if (action === "create" || action === "replace") counts.add++;
    if (action === "delete" || action === "replace") counts.destroy++;
    if (action === "update") counts.change++;
    if (action === "replace") counts.replace++;
    if (action === "forget") counts.forget++;
    if (isImporting(c)) counts.import++;
    if (isMoved(c)) counts.move++;
  }
  return counts;
}

function toResourceChange(c: RawChange): ResourceChange {
  const r: ResourceChange = { address: c.address, action: actionOf(c.change.actions) };
  if (isMoved(c)) r.previousAddress = c.previous_address!;
  if (isImporting(c)) r.importing = true;
  if (c.deposed) r.deposed = c.deposed;
  return r;
}

/**
 * The documented action lists: ["no-op"], ["create"], ["read"], ["update"], ["delete"],
 * ["delete","create"] and ["create","delete"] (replace, destroy-first or create-first), and
 * since Terraform 1.7 ["forget"] (and ["create","forget"], a replacement that keeps the old
 * object: counted as a create, the old one forgotten).
 */
function actionOf(actions: string[]): ResourceAction {
  const key = actions.join(",");
  switch (key) {
    case "delete,create":
    case "create,delete":
      return "replace";
    case "create,forget":
      return "create";
    case "create":
    case "read":
    case "update":
    case "delete":
    case "forget":
    case "no-op":
      return key;
    default:
      // checkChange refuses anything else before we get here.
      throw new Error(`unexpected actions ${key}`);
  }
}

const KNOWN_ACTIONS = new Set(["no-op", "create", "read", "update", "delete", "delete,create", "create,delete", "forget", "create,forget"]);

function checkChange(c: unknown): string | undefined {
  if (!isObject(c)) return "not an object";
  if (typeof c.address !== "string" || c.address === "") return "no address";
  if (c.previous_address !== undefined && typeof c.previous_address !== "string") return "previous_address is not a string";
  if (c.deposed !== undefined && typeof c.deposed !== "string") return "deposed is not a string";
  if (!isObject(c.change)) return `${c.address}: no change`;
  const actions = actionsOf(c);
  if (!actions) return `${c.address}: change.actions is not a list of strings`;
  // An action we do not know could be anything, including a destroy: refuse rather than guess.
  if (!KNOWN_ACTIONS.has(actions.join(","))) return `${c.address}: unknown actions ${JSON.stringify(actions)}`;
  return undefined;
}

function actionsOf(entry: Record<string, unknown>): string[] | undefined {
  const change = isObject(entry.change) ? entry.change : entry;
  const actions = change.actions;
  return Array.isArray(actions) && actions.length > 0 && actions.every((a) => typeof a === "string") ? actions : undefined;
}

function isTouched(c: RawChange): boolean {
  return !isNoOp(c.change.actions) || isImporting(c) || isMoved(c);
}

function isNoOp(actions: string[]): boolean {
  return actions.length === 1 && actions[0] === "no-op";
}

function isImporting(c: RawChange): boolean {
  return c.change.importing !== undefined && c.change.importing !== null && c.change.importing !== false;
}

function isMoved(c: RawChange): boolean {
  return typeof c.previous_address === "string" && c.previous_address !== c.address;
}

function byAddress(a: RawChange, b: RawChange): number {
  return compare(a.address, b.address) || compare(a.deposed ?? "", b.deposed ?? "");
}

// Code-unit order, not localeCompare: the same on every machine whatever its locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
