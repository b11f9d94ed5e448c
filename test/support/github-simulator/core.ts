// What every part of the simulator shares: state, URLs, the app, tokens, the webhook sender and
// a per-repository lock that keeps git writes and the records describing them in step.
import type { TokenStore } from "./app-auth.ts";
import type { OAuthFlow } from "./oauth.ts";
import type { AppInfo, Urls } from "./serialize-core.ts";
import type { SimState } from "./state.ts";
import type { WebhookSender } from "./webhook-sender.ts";

export interface SimCore {
  readonly state: SimState;
  readonly urls: Urls;
  readonly app: AppInfo;
  readonly tokens: TokenStore;
  /** The OAuth web flow and the user tokens it issued (the console's sign-in). */
  readonly oauth: OAuthFlow;
  readonly hooks: WebhookSender;
  readonly reposRoot: string;
  /** Send webhooks for the app's own writes (GitHub does; Slipway must ignore them). */
  readonly echoAppEvents: boolean;
  withRepoLock<T>(fullName: string, fn: () => Promise<T>): Promise<T>;
  /** Deliveries caused by the app's own writes: sent after the answer, awaited by `sim.idle()`. */
  echo(events: PendingEvent[]): void;
  /**
   * GitHub's own follow-up work (the merge queue reacting to a check): run after the answer,
   * under the repository's lock, then its events delivered in order; awaited by `sim.idle()`.
   */
  after(repo: string, work: () => Promise<PendingEvent[]>): void;
}

/** A webhook to send once its payload is built (built late so it sees the final state). */
export type PendingEvent = () => Promise<[string, Record<string, unknown>]> | [string, Record<string, unknown>];

/** Build and deliver events in order, waiting for each answer (the scenario's path). */
export async function deliverAll(core: SimCore, events: PendingEvent[]): Promise<void> {
  for (const build of events) {
    const [event, payload] = await build();
    await core.hooks.deliver(event, payload);
  }
}

export class RepoLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    const prev = this.tails.get(k) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.tails.set(k, next);
    void next
      .finally(() => {
        if (this.tails.get(k) === next) this.tails.delete(k);
      })
      .catch(() => undefined);
    return next;
  }
}
