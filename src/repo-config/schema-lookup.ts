// Reads the zod schema itself by path, so error hints come from the same truth as validation:
// the keys an object allows (for "did you mean …?") and a field's description.
import { z } from "zod";
import type { PathSegment } from "./source-positions.ts";

type AnySchema = z.core.$ZodType;

interface Unwrapped {
  schema: AnySchema;
  description?: string;
}

/** Peels default/optional/pipe wrappers, keeping the outermost description found on the way. */
function unwrap(schema: AnySchema): Unwrapped {
  let current = schema;
  let description: string | undefined;
  for (let i = 0; i < 20; i++) {
    description ??= z.globalRegistry.get(current)?.description;
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"].includes(def.type)) {
      current = def.innerType as AnySchema;
    } else if (def.type === "pipe") {
      current = def.in as AnySchema;
    } else {
      break;
    }
  }
  return description === undefined ? { schema: current } : { schema: current, description };
}

function child(schema: AnySchema, segment: PathSegment): AnySchema | undefined {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "object":
      return typeof segment === "string" ? (def.shape as Record<string, AnySchema>)[segment] : undefined;
    case "array":
      return typeof segment === "number" ? (def.element as AnySchema) : undefined;
    case "record":
      return typeof segment === "string" ? (def.valueType as AnySchema) : undefined;
    case "union":
      for (const option of def.options as AnySchema[]) {
        const found = child(unwrap(option).schema, segment);
        if (found) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

function schemaAt(root: AnySchema, path: readonly PathSegment[]): Unwrapped | undefined {
  let current = unwrap(root);
  for (const segment of path) {
    const next = child(current.schema, segment);
    if (!next) return undefined;
    current = unwrap(next);
  }
  return current;
}

/** The keys allowed in the object at `path`, in schema order. */
export function knownKeysAt(root: AnySchema, path: readonly PathSegment[]): string[] {
  const found = schemaAt(root, path);
  const def = found?.schema._zod.def as unknown as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** The `.describe()` text of the field at `path`, if any. */
export function descriptionAt(root: AnySchema, path: readonly PathSegment[]): string | undefined {
  return schemaAt(root, path)?.description;
}
