// The App's webhook delivery log over Octokit, as the App itself (a JWT: these endpoints refuse
// installation tokens). Reads page by page through the `cursor` of the Link header.
import { createAppAuth } from "@octokit/auth-app";
import { request } from "@octokit/request";
import type { Logger } from "pino";
import { ProbotOctokit } from "probot";
import type { GitHubAppCredentials } from "../settings.ts";
import type { RequestObserver } from "./octokit-github.ts";
import type { HookDeliveryAttempt, HookDeliveryLog, HookDeliverySubject } from "./port.ts";

type Octokit = InstanceType<typeof ProbotOctokit>;
type Json = Record<string, unknown>;

export interface AppHookDeliveriesOptions {
  app: GitHubAppCredentials;
  apiBaseUrl: string;
  log: Logger;
  /** SLIPWAY_GITHUB_THROTTLE: writes 1 s apart, rate limits waited out by Octokit's plugin. */
  throttle: boolean;
  observe?: RequestObserver;
}

export class AppHookDeliveries implements HookDeliveryLog {
  private readonly octokit: Octokit;

  constructor(o: AppHookDeliveriesOptions) {
    this.octokit = new ProbotOctokit({
      baseUrl: o.apiBaseUrl,
      authStrategy: createAppAuth,
      auth: { appId: o.app.appId, privateKey: o.app.privateKey, request: request.defaults({ baseUrl: o.apiBaseUrl }) },
      log: o.log.child({ name: "octokit-app-hook" }),
      throttle: { enabled: o.throttle, id: "app-hook-deliveries" },
      // Octokit's retry plugin would retry a 429 after 1, 4, 9 s whatever its Retry-After says:
      // the redeliverer waits rate limits out itself (recovery/missed-deliveries.ts rateLimitWaitMs).
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    });
    // The App's own calls are counted as installation 0 (its JWT belongs to no installation).
    const observe = o.observe;
    if (observe) {
      this.octokit.hook.wrap("request", (async (send: (options: Json) => Promise<{ status: number; headers: Json }>, options: Json) => {
        const seen = { method: options.method as string | undefined, url: options.url as string | undefined };
        try {
          const response = await send(options);
          observe(0, { ...seen, status: response.status, headers: response.headers as Record<string, string | undefined> });
          return response;
        } catch (err) {
          const e = err as { status?: number; response?: { headers?: Record<string, string | undefined> } };
          observe(0, { ...seen, status: e.status, headers: e.response?.headers });
          throw err;
        }
      }) as never);
    }
  }

  async *pages(): AsyncIterable<HookDeliveryAttempt[]> {
    for await (const page of this.octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 })) {
      yield (page.data as Json[]).map(toAttempt);
    }
  }

  async subject(attemptId: number): Promise<HookDeliverySubject> {
    const { data } = await this.octokit.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: attemptId });
    const payload = ((data as Json).request as Json | undefined)?.payload as Json | null | undefined;
    const repo = (payload?.repository as Json | undefined)?.full_name;
    const pull = ((payload?.pull_request ?? payload?.issue) as Json | undefined)?.number;
    return { ...(typeof repo === "string" ? { repo } : {}), ...(typeof pull === "number" ? { pull } : {}) };
  }

  async redeliver(attemptId: number): Promise<void> {
    await this.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: attemptId });
  }
}

function toAttempt(d: Json): HookDeliveryAttempt {
  return {
    id: Number(d.id),
    guid: String(d.guid),
    deliveredAt: Date.parse(String(d.delivered_at)),
    statusCode: Number(d.status_code) || 0,
    redelivery: d.redelivery === true,
    event: String(d.event),
    action: typeof d.action === "string" ? d.action : null,
  };
}
