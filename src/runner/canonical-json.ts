// JSON text that is the same for equal values whatever order their object keys came in: the
// basis of digests that must not change with a tool's map iteration order. Pure.

/** Object keys sorted at every level; arrays keep their order (in a plan, list order is meaning). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}
