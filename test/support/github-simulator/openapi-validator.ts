// Request-body validation against the operation's schema in GitHub's description. One ajv for the
// process (the spec is added once); each operation's validator is compiled on first use.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { loadSpec, type OpenApiOperation } from "./openapi-spec.ts";

// ajv-formats is CommonJS: under ESM its function sits on `default` of the default import.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export type BodyCheck = { ok: true } | { ok: false; message: string; errors: ErrorObject[] };

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction | null>();

function instance(): Ajv {
  if (ajv) return ajv;
  const a = new Ajv({ strict: false, allErrors: false, validateFormats: true, discriminator: false });
  addFormats(a);
  a.addFormat("repo.nwo", true);
  a.addFormat("uri-template", true);
  // GitHub documents some URLs as format "uri" yet sends "" when unset (deployment target_url).
  a.addFormat("uri", (s: string) => s === "" || /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s));
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

const responseValidators = new Map<string, ValidateFunction | null>();

/** The response schema GitHub documents for this operation and status, if any (lazily compiled). */
function responseValidatorFor(op: OpenApiOperation, status: number): ValidateFunction | null {
  const key = `${op.method} ${op.template} ${status}`;
  if (responseValidators.has(key)) return responseValidators.get(key) ?? null;
  const doc = loadSpec().document as Record<string, any>;
  let pointer = `#/paths/${pointerEscape(op.template)}/${op.method.toLowerCase()}/responses/${status}`;
  let response = doc.paths[op.template]?.[op.method.toLowerCase()]?.responses?.[String(status)];
  if (response?.$ref) {
    pointer = response.$ref as string;
    response = pointer
      .split("/")
      .slice(1)
      .reduce((node: any, part: string) => node?.[part], doc);
  }
  const fn = response?.content?.["application/json"]?.schema ? instance().compile({ $ref: `gh${pointer}/content/application~1json/schema` }) : null;
  responseValidators.set(key, fn);
  return fn;
}

/** Check a response body against GitHub's documented shape (used by the simulator's self-tests). */
export function validateResponseBody(op: OpenApiOperation, status: number, body: unknown): BodyCheck {
  const fn = responseValidatorFor(op, status);
  if (!fn || fn(body)) return { ok: true };
  const errors = fn.errors ?? [];
  return { ok: false, message: describe(errors), errors };
}

const webhookValidators = new Map<string, ValidateFunction>();

/**
 * Check a webhook payload against the schema GitHub's description gives it
 * (`components/schemas/webhook-<event>-<action>`, e.g. `webhook-merge-group-destroyed`).
 */
export function validateWebhookPayload(schema: string, payload: unknown): BodyCheck {
  let fn = webhookValidators.get(schema);
  if (!fn) {
    fn = instance().compile({ $ref: `gh#/components/schemas/${pointerEscape(schema)}` });
    webhookValidators.set(schema, fn);
  }
  if (fn(payload)) return { ok: true };
  const errors = fn.errors ?? [];
  return { ok: false, message: describe(errors), errors };
}
