// The audit event (SPEC §9): one decision Slipway took, as plain data. Pure: no I/O here.
// The stream id is the event's `id`, so ids increase with time and double as paging cursors.

export const AUDIT_KINDS = [
  "plan",
  "apply",
  "approval",
  "approval.withdrawn",
  "command.refused",
  "lock.acquired",
  "lock.released",
  "deploy.waiting",
  "deploy.released",
  "rollback",
  "drift.detected",
  "drift.remediated",
  "config.invalid",
  "webhook.redelivered",
  "run.cancelled",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_VIAS = ["comment", "review", "merge", "push", "schedule", "queue", "console", "api"] as const;
export type AuditVia = (typeof AUDIT_VIAS)[number];

/** What a job tells the recorder; `id` and `at` are given when it is stored. */
export interface AuditInput {
  kind: AuditKind;
  /** GitHub login, or `slipway` for Slipway's own actions. */
  actor: string;
  /** `OWNER/NAME`. */
  repo: string;
  pull?: number;
  sha?: string;
  project?: string;
  environment?: string;
  outcome?: string;
  reason?: string;
  plan_digest?: string;
  delivery?: string;
  /** How it came: omitted when none of the SPEC's ways fits (a pull request closed unmerged). */
  via?: AuditVia;
}

export interface AuditEvent extends AuditInput {
  id: string;
  /** ISO 8601. */
  at: string;
}

/** The field order of every serialisation (JSON, CSV, NDJSON). */
export const AUDIT_FIELDS = [
  "id",
  "at",
  "kind",
  "actor",
  "repo",
  "pull",
  "sha",
  "project",
  "environment",
  "outcome",
  "reason",
  "plan_digest",
  "delivery",
  "via",
] as const satisfies readonly (keyof AuditEvent)[];

/** Free text is bounded: a reason is a sentence, not a log. */
export const MAX_REASON_LENGTH = 2000;

/**
 * The event as stored: absent fields omitted, free text redacted (the same redactor as step
 * outputs, so a secret value a step printed into a reason never reaches Redis or the export).
 */
export function normaliseInput(input: AuditInput, redact: (text: string) => string): AuditInput {
  const out: Record<string, unknown> = {};
  for (const field of AUDIT_FIELDS) {
    if (field === "id" || field === "at") continue;
    const value = input[field];
    if (value === undefined || value === null || value === "") continue;
    out[field] = typeof value === "string" && field !== "kind" && field !== "via" ? redactText(value, redact) : value;
  }
  return out as unknown as AuditInput;
}

function redactText(text: string, redact: (line: string) => string): string {
  const redacted = text
    .split(/\r?\n/)
    .map((line) => redact(line))
    .join("\n");
  return redacted.length > MAX_REASON_LENGTH ? `${redacted.slice(0, MAX_REASON_LENGTH - 1)}…` : redacted;
}

/** The stored fields, in this order; `at` and `id` come from the stream id. Append only: stored arrays are positional. */
const STORED_FIELDS = AUDIT_FIELDS.filter((f) => f !== "id" && f !== "at");

/**
 * The event as stored: a JSON array of its values in STORED_FIELDS order, trailing absences cut.
 * Field names repeated in every entry would be a third of the stream's memory.
 */
export function encodeStored(input: AuditInput): string {
  const values: unknown[] = STORED_FIELDS.map((f) => input[f as keyof AuditInput] ?? null);
  while (values.length > 0 && values.at(-1) === null) values.pop();
  return JSON.stringify(values);
}

export function decodeStored(json: string): AuditInput {
  const values = JSON.parse(json) as unknown[];
  const out: Record<string, unknown> = {};
  STORED_FIELDS.forEach((f, i) => {
    if (values[i] !== null && values[i] !== undefined) out[f] = values[i];
  });
  return out as unknown as AuditInput;
}

/** Milliseconds of a stream id (`<ms>-<seq>`). */
export function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** Puts a stored event back together, fields in the documented order. */
export function eventFrom(id: string, stored: AuditInput & { at?: string }): AuditEvent {
  const merged: Record<string, unknown> = { ...stored, id, at: stored.at ?? new Date(idTime(id)).toISOString() };
  const out: Record<string, unknown> = {};
  for (const field of AUDIT_FIELDS) if (merged[field] !== undefined) out[field] = merged[field];
  return out as unknown as AuditEvent;
}

/** `OWNER/NAME` of a repository reference. */
export function repoName(repo: { owner: string; name: string }): string {
  return `${repo.owner}/${repo.name}`;
}
