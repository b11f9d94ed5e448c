// What differs between the plan a pull request's approvals were given for and a plan made later
// (at the merge commit): resources added to it, removed from it, or with another action. Pure.
import type { ResourceChange } from "./types.ts";

export interface PlanDifferences {
  added: ResourceChange[];
  removed: ResourceChange[];
  changed: { address: string; from: ResourceChange["action"]; to: ResourceChange["action"] }[];
}

const identity = (c: ResourceChange) => (c.deposed ? `${c.address} (deposed ${c.deposed})` : c.address);

export function planDifferences(approved: ResourceChange[], now: ResourceChange[]): PlanDifferences {
  const before = new Map(approved.map((c) => [identity(c), c]));
  const after = new Map(now.map((c) => [identity(c), c]));
  const out: PlanDifferences = { added: [], removed: [], changed: [] };
  for (const [id, c] of after) {
    const was = before.get(id);
    if (!was) out.added.push(c);
    else if (was.action !== c.action) out.changed.push({ address: id, from: was.action, to: c.action });
  }
  for (const [id, c] of before) if (!after.has(id)) out.removed.push(c);
  return out;
}

export function noDifferences(d: PlanDifferences): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
