// Request-body validation against the operation's schema in GitHub's description. One ajv for the
// process (the spec is added once); each operation's validator is compiled on first use.
import AjvModule from "ajv";
import type { ValidateFunction, ErrorObject } from "ajv";
import addFormatsModule from "ajv-formats";
import { loadSpec, type OpenApiOperation } from "./openapi-spec.ts";

// ajv and ajv-formats are CommonJS with a `default` export property.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const addFormats = (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule;

export type BodyCheck = { ok: true } | { ok: false; message: string; errors: ErrorObject[] };

let ajv: InstanceType<typeof Ajv> | undefined;
const validators = new Map<string, ValidateFunction | null>();

function instance(): InstanceType<typeof Ajv> {
  if (ajv) return ajv;
  const a = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(a);
  a.addFormat("repo.nwo", true);
  a.addFormat("uri-template", true);
  a.addSchema({ ...loadSpec().document, $id: "gh" });
  ajv = a;
  return a;
}

function pointerEscape(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

function validatorFor(op: OpenApiOperation): ValidateFunction | null {
  const key = `${op.method} ${op.template}`;
  if (validators.has(key)) return validators.get(key) ?? null;
  const item = loadSpec().document.paths[op.template] as Record<string, { requestBody?: { content?: Record<string, unknown> } }>;
  const content = item[op.method.toLowerCase()]?.requestBody?.content;
  let fn: ValidateFunction | null = null;
  if (content && content["application/json"]) {
    const ref = `gh#/paths/${pointerEscape(op.template)}/${op.method.toLowerCase()}/requestBody/content/application~1json/schema`;
    fn = instance().compile({ $ref: ref });
  }
  validators.set(key, fn);
  return fn;
}

function describe(errors: ErrorObject[]): string {
  return errors
    .slice(0, 3)
    .map((e) => `${e.instancePath || "body"} ${e.message ?? "is invalid"}`)
    .join("; ");
}

/** Validate a parsed JSON body; operations without a JSON request body accept anything. */
export function validateRequestBody(op: OpenApiOperation, body: unknown): BodyCheck {
  const fn = validatorFor(op);
  if (!fn) return { ok: true };
  if (fn(body)) return { ok: true };
  const errors = fn.errors ?? [];
  return { ok: false, message: describe(errors), errors };
}
