// The resources a plan touches, as a markdown list under a project's result: reviewers see at a
// glance which addresses are replaced or destroyed without reading the whole plan output.

import type { ProjectRunResult, ResourceChange } from "../../domain/types.ts";
import { inlineCode, oneLine } from "./markdown.ts";

// Addresses can be long (modules, for_each keys); one line each, bounded.
const MAX_ADDRESS_CHARS = 200;

/** The verb for one resource; a pure import or move is a no-op with something still done. */
export function actionWord(r: ResourceChange): string {
  if (r.action === "no-op") return r.importing ? "import" : r.previousAddress ? "move" : "no change";
  return r.action;
}

function item(r: ResourceChange): string {
  const notes: string[] = [];
  if (r.previousAddress && r.action !== "no-op") notes.push(`moved from ${inlineCode(oneLine(r.previousAddress, MAX_ADDRESS_CHARS))}`);
  if (r.previousAddress && r.action === "no-op" && !r.importing) notes.push(`from ${inlineCode(oneLine(r.previousAddress, MAX_ADDRESS_CHARS))}`);
  if (r.importing && r.action !== "no-op") notes.push("imported");
  if (r.deposed) notes.push(`deposed object ${inlineCode(oneLine(r.deposed, 40))}`);
  const tail = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  return `- ${actionWord(r)} ${inlineCode(oneLine(r.address, MAX_ADDRESS_CHARS))}${tail}\n`;
}

/**
 * "**Resources** (n):" and up to `max` items, then how many more; "" when the result has no
 * resource list (a workflow without a JSON plan) or the plan touches nothing.
 */
export function renderResourceList(result: ProjectRunResult, max: number): string {
  const list = result.resourceChanges;
  if (!list || list.length === 0) return "";
  const total = Math.max(result.resourceChangesTotal ?? list.length, list.length);
  const shown = list.slice(0, max).map(item).join("");
  const more = total - Math.min(max, list.length);
  const moreLine = more > 0 ? `- … and ${more} more\n` : "";
  return `**Resources** (${total}):\n\n${shown}${moreLine}\n`;
}
