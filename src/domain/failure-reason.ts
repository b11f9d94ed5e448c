// Why a job failed, in words safe to show anyone (a pull request, a run's log). Pure.

/**
 * Only a category, never the error's message: that may quote a git remote URL with its token, a
 * GitHub answer or a Redis key, which the step redactor (runner/redact.ts: step secrets only)
 * does not know to hide. The message itself is in the worker's log ("job failed").
 */
export function failureReason(err: unknown): string {
  const e = (typeof err === "object" && err !== null ? err : {}) as { name?: unknown; code?: unknown; status?: unknown };
  if (e.code === "head_not_fetched") return "the commit could not be fetched from GitHub";
  if (e.name === "HttpError" && typeof e.status === "number") return `a request to GitHub failed (HTTP ${e.status})`;
  if (typeof e.code === "string" && e.code.startsWith("git_")) return "a git command failed";
  return "an unexpected error stopped it";
}
