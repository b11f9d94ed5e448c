// Label values, bounded. A label that takes a new value per pull request, SHA, user, delivery or
// URL makes a new time series each time: Prometheus' memory and every query grow with traffic.
// So every value that comes from outside goes through one of these functions. Pure.

/** The events Slipway subscribes to (app.yml), plus those GitHub sends an app unasked. */
const KNOWN_EVENTS = new Set([
  "pull_request",
  "pull_request_review",
  "issue_comment",
  "push",
  "merge_group",
  // Echoes of Slipway's own check runs, sent to the app that made them.
  "check_run",
  "check_suite",
  "ping",
  "installation",
  "installation_repositories",
  "installation_target",
  "github_app_authorization",
  "meta",
]);

/**
 * The `X-GitHub-Event` header is read before the signature is checked: anyone can send any
 * value, so only names Slipway expects become labels.
 */
export function eventLabel(header: string | string[] | undefined): string {
  const name = Array.isArray(header) ? header[0] : header;
  return name !== undefined && KNOWN_EVENTS.has(name) ? name : "other";
}

/** What GitHub's delivery log would say about the answer. */
export function deliveryOutcome(status: number): "accepted" | "rejected" | "failed" {
  if (status >= 200 && status < 300) return "accepted";
  return status >= 500 ? "failed" : "rejected";
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]);

export function methodLabel(method: string | undefined): string {
  const m = (method ?? "").toUpperCase();
  return METHODS.has(m) ? m : "OTHER";
}

/** An HTTP status as a label: the code itself (a small set), or `error` when none came back. */
export function statusLabel(status: number | undefined): string {
  return status !== undefined && Number.isInteger(status) && status >= 100 && status < 600 ? String(status) : "error";
}

/**
 * The API path template of a GitHub request. Octokit's `url` option is the template itself
 * (`/repos/{owner}/{repo}/check-runs`) for every `octokit.rest` method; a concrete URL (the next
 * page of a paginated list, a hand-written call) is turned into one: the host, GHE's `/api/v3`
 * and the query go, and every segment that is not a fixed word of the API becomes a parameter.
 */
export function routeLabel(url: string | undefined): string {
  if (!url) return "{unknown}";
  let path = url.replace(/^[a-z]+:\/\/[^/]+/i, "").replace(/[?#].*$/, "");
  path = path.replace(/^\/api\/v3(?=\/|$)/, "");
  if (!path.startsWith("/")) path = `/${path}`;
  if (path.includes("{")) return path;
  const segments = path.split("/").slice(1);
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const previous = segments[i - 1];
    // /repos/OWNER/REPO/... and /orgs/ORG/..., /users/USER/...: names, whatever they look like.
    if (previous === "repos" && i === 1) out.push("{owner}");
    else if (segments[i - 2] === "repos" && i === 2) out.push("{repo}");
    else if ((previous === "orgs" || previous === "users") && i === 1) out.push(previous === "orgs" ? "{org}" : "{username}");
    else if (/^\d+$/.test(s)) out.push("{id}");
    else if (/^[0-9a-f]{40}$/i.test(s)) out.push("{sha}");
    else if (/^[a-z][a-z_-]*$/.test(s) && s.length <= 32) out.push(s);
    else out.push("{param}");
  }
  return `/${out.join("/")}`;
}

/**
 * Keeps a label to at most `max` distinct values in this process; later newcomers become
 * `other`. The last line of defence for values a repository's config chooses (environment
 * names) or a path template nobody foresaw.
 */
export class BoundedValues {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly overflow = "other",
  ) {}

  admit(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return this.overflow;
    this.seen.add(value);
    return value;
  }
}

/** Environment names are the repository's words; the empty name is projects without one. */
export function environmentLabel(name: string): string {
  if (name === "") return "(none)";
  return name.length <= 64 ? name : name.slice(0, 64);
}
