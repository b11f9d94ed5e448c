// Query schemas of /api/v1: every parameter is checked before anything reaches Redis, and a bad
// one is a 400 that names it. Unknown parameters are refused too: a typo must not widen a filter.
import { z } from "zod";
import { AUDIT_KINDS } from "../../audit/event.ts";
import { STREAM_ID } from "../../state/audit-store.ts";

const REPO = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
/** `2026-11-26`, `2026-11-26T10:00:00Z`, `2026-11-26T10:00:00.123+01:00`. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export const repoParam = z.string().max(201).regex(REPO, "repo must be OWNER/NAME");

const isoTime = (name: string) =>
  z
    .string()
    .max(40)
    .regex(ISO, `${name} must be an ISO 8601 date or time`)
    .transform((v, ctx) => {
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: "custom", message: `${name} must be an ISO 8601 date or time` });
        return z.NEVER;
      }
      return ms;
    });

/** Cursors are opaque: base64url of a stream id the API handed out. Raw ids (`0-0`, `+`, `-`) are refused. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

const cursor = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "cursor must be a next_cursor from an earlier answer")
  .transform((v, ctx) => {
    const id = Buffer.from(v, "base64url").toString("utf8");
    if (!STREAM_ID.test(id) || encodeCursor(id) !== v) {
      ctx.addIssue({ code: "custom", message: "cursor must be a next_cursor from an earlier answer" });
      return z.NEVER;
    }
    return id;
  });

const limit = z
  .string()
  .regex(/^\d{1,3}$/, "limit must be a whole number from 1 to 100")
  .transform(Number)
  .refine((n) => n >= 1 && n <= 100, "limit must be a whole number from 1 to 100");

export const auditQuery = z
  .strictObject({
    repo: repoParam.optional(),
    actor: z.string().max(50).regex(LOGIN, "actor must be a GitHub login").optional(),
    kind: z.enum(AUDIT_KINDS, { message: `kind must be one of ${AUDIT_KINDS.join(", ")}` }).optional(),
    since: isoTime("since").optional(),
    until: isoTime("until").optional(),
    cursor: cursor.optional(),
    limit: limit.optional(),
    /** An export as a link can ask for it (a browser link cannot set Accept). */
    format: z.enum(["csv", "ndjson"], { message: "format must be csv or ndjson" }).optional(),
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: "since must not be after until", path: ["since"] });

export const locksQuery = z.strictObject({ repo: repoParam.optional() });

export const RUN_STATES = ["queued", "running", "completed", "failed"] as const;
export const runsQuery = z.strictObject({
  repo: repoParam.optional(),
  state: z.enum(RUN_STATES, { message: `state must be one of ${RUN_STATES.join(", ")}` }).optional(),
});

export const environmentsQuery = z.strictObject({ repo: repoParam });

export const deadLettersQuery = z.strictObject({ limit: limit.optional() });

export const lockParams = z.strictObject({
  owner: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, "owner must be a GitHub owner name"),
  name: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/, "name must be a repository name"),
  project: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_./-]+$/, "project must be a project name"),
});

/** One line naming each bad parameter: `limit: limit must be …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const name = i.path.length > 0 ? String(i.path[0]) : i.code === "unrecognized_keys" ? (i as { keys: string[] }).keys.join(", ") : "query";
      const message = i.code === "unrecognized_keys" ? "unknown parameter" : i.code === "invalid_type" ? `${name} must be given once, as text` : i.message;
      return `${name}: ${message}`;
    })
    .join("; ");
}
