// Reads the JSON plan a `show -json` step saved (see StepSpec.planJsonFile), then deletes it:
// it holds every planned value in clear, sensitive ones included, and nothing reads it later
// (the apply uses the binary plan file).
import { readFile, rm, stat } from "node:fs/promises";
import { readTerraformPlanJson, type TerraformPlanRead } from "./terraform-plan-json.ts";

/**
 * JSON.parse needs the whole text in memory; a plan larger than this is refused rather than
 * risking the worker. Real plans of thousands of resources stay well below it.
 */
export const MAX_PLAN_JSON_BYTES = 256 * 1024 * 1024;

export async function readPlanJsonFile(file: string, redact: (line: string) => string): Promise<TerraformPlanRead> {
  try {
    const size = await stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0) return { ok: false, error: "the JSON plan was not written" };
    if (size > MAX_PLAN_JSON_BYTES) return { ok: false, error: `the JSON plan is ${size} bytes, over Slipway's limit of ${MAX_PLAN_JSON_BYTES}` };
    const read = readTerraformPlanJson(await readFile(file, "utf8"));
    if (!read.ok) return read;
    // Addresses carry for_each keys, which may be anything a configuration computes.
    const resources = read.summary.resources.map((r) => ({
      ...r,
      address: redact(r.address),
      ...(r.previousAddress ? { previousAddress: redact(r.previousAddress) } : {}),
    }));
    return { ok: true, summary: { ...read.summary, resources, outputs: read.summary.outputs.map(redact) } };
  } finally {
    await rm(file, { force: true });
  }
}
