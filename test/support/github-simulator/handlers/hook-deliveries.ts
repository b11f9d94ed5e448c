// The app's webhook delivery log (App JWT): every real attempt the simulator made, newest first,
// with GitHub's cursor paging, one attempt's request and response, and "Redeliver".
import { failure, intParam, notFound, ok, type ApiReply, type ApiRequest, type Routes } from "../api-types.ts";
import type { SimCore } from "../core.ts";
import type { Delivery } from "../webhook-sender.ts";

type Json = Record<string, any>;

/** What GitHub's log lists: attempts that were sent to a target and have their answer. */
function logged(core: SimCore): Delivery[] {
  return core.hooks.deliveries.filter((d) => d.attempted && d.answered).sort((a, b) => b.attemptId - a.attemptId);
}

/** GitHub's words for an attempt's outcome (seen in its delivery log). */
function statusText(d: Delivery): string {
  if (d.status === 0) return "failed to connect";
  if (d.status >= 200 && d.status < 300) return "OK";
  return `Invalid HTTP Response: ${d.status}`;
}

function item(d: Delivery): Json {
  const payload = d.payload as Json;
  return {
    id: d.attemptId,
    guid: d.id,
    delivered_at: d.deliveredAt.replace(/\.\d{3}Z$/, "Z"),
    redelivery: d.redelivery,
    duration: d.durationMs / 1000,
    status: statusText(d),
    status_code: d.status,
    event: d.event,
    action: d.action ?? null,
    installation_id: typeof payload.installation?.id === "number" ? payload.installation.id : null,
    repository_id: typeof payload.repository?.id === "number" ? payload.repository.id : null,
    throttled_at: null,
  };
}

/** `cursor` is `v1_<attempt id>`: the page starts at that attempt (GitHub's cursors are opaque). */
function listDeliveries(req: ApiRequest, core: SimCore): ApiReply {
  const perPage = Math.min(100, Math.max(1, intParam(req.query.get("per_page") ?? undefined) ?? 30));
  const cursor = req.query.get("cursor");
  const all = logged(core);
  let start = 0;
  if (cursor) {
    const from = /^v1_(\d+)$/.exec(cursor);
    if (!from) return failure(400, "Invalid cursor");
    start = all.findIndex((d) => d.attemptId <= Number(from[1]));
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + perPage);
  const next = all[start + perPage];
  const headers: Record<string, string> = {};
  if (next) {
    const q = new URLSearchParams({ per_page: String(perPage), cursor: `v1_${next.attemptId}` });
    headers.link = `<${core.urls.api}${req.path}?${q.toString()}>; rel="next"`;
  }
  return ok(page.map(item), 200, headers);
}

function attempt(req: ApiRequest, core: SimCore): Delivery | undefined {
  const id = intParam(req.params.delivery_id);
  return logged(core).find((d) => d.attemptId === id);
}

/** Redelivery requests to refuse next as a secondary rate limit would (a test's knob). */
const limits = new WeakMap<SimCore, { times: number; status: 403 | 429; retryAfterSeconds: number }>();

/** The next `times` redelivery requests get `status` with `Retry-After`, as GitHub's secondary limit answers. */
export function limitRedeliveries(core: SimCore, times: number, retryAfterSeconds: number, status: 403 | 429 = 429): void {
  limits.set(core, { times, status, retryAfterSeconds });
}

function limited(core: SimCore): ApiReply | undefined {
  const limit = limits.get(core);
  if (!limit || limit.times <= 0) return undefined;
  limit.times--;
  const reply = failure(limit.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
  return { ...reply, headers: { "retry-after": String(limit.retryAfterSeconds) } };
}

export const hookDeliveryRoutes: Routes = {
  "apps/list-webhook-deliveries": { auth: "app", handle: listDeliveries },
  "apps/get-webhook-delivery": {
    auth: "app",
    handle: (req, core) => {
      const d = attempt(req, core);
      if (!d) return notFound();
      return ok({
        ...item(d),
        url: core.hooks.targetUrl ?? "",
        request: { headers: d.headers, payload: d.payload },
        response: { headers: {}, payload: d.responseBody === "" ? null : d.responseBody },
      });
    },
  },
  "apps/redeliver-webhook-delivery": {
    auth: "app",
    handle: (req, core) => {
      const d = attempt(req, core);
      if (!d) return notFound();
      const refused = limited(core);
      if (refused) return refused;
      core.hooks.redeliverAttempt(d.attemptId);
      return ok({}, 202);
    },
  },
};
