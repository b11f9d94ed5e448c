// Audit export (SPEC §9): each event POSTed as JSON to SLIPWAY_AUDIT_WEBHOOK_URL, signed, retried
// with backoff until a 2xx, in order per repository, at least once (`id` to deduplicate).
//
// The durable part is a per-repository cursor in Redis (the id of the last acknowledged event):
// a restart, or a receiver down for an hour, resumes from it and loses nothing the retention
// still holds. One process at a time exports a repository (a heartbeat-renewed lease, the same
// mutex as applies), so order holds with any number of workers; repositories do not wait for
// each other, only a repository's own events do.
import { createHmac } from "node:crypto";
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import { withMutex } from "../locks/apply-mutex.ts";
import type { AuditEvent } from "./event.ts";

export const SIGNATURE_HEADER = "x-slipway-signature-256";

/** How long a repository this process drained is left alone when no new event came. */
const RECHECK_MS = 30_000;

export interface AuditExportSource {
  repos(): Promise<{ repo: string; lastAt: number }[]>;
  after(repo: string, afterId: string, count: number): Promise<AuditEvent[]>;
  exportCursor(repo: string): Promise<string>;
  setExportCursor(repo: string, id: string): Promise<void>;
}

export interface AuditExporterOptions {
  source: AuditExportSource;
  /** For the per-repository lease. */
  redis: RedisConnection;
  prefix: string;
  url: string;
  secret: string;
  log: Logger;
  /** How often to look for new events. Default 1 s. */
  pollMs?: number;
  /** One POST's time limit. Default 10 s. */
  timeoutMs?: number;
  /** Backoff after a failed POST: doubles from `minBackoffMs` up to `maxBackoffMs`. Defaults 1 s, 60 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a dead exporter's lease lasts. Default 30 s. */
  leaseMs?: number;
}

/** `sha256=<hex>` of the body: what a receiver recomputes with the shared secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export class AuditExporter {
  private closed = false;
  private readonly stop = new AbortController();
  private readonly retry = new Map<string, { at: number; delayMs: number }>();
  private loop?: Promise<void>;
  /** Per repository: the last event time this process saw drained, and when it looked. */
  private readonly drained = new Map<string, { lastAt: number; checkedAt: number }>();

  constructor(private readonly o: AuditExporterOptions) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Stops after the POST in flight is abandoned; its event is sent again by whoever runs next. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    await this.loop;
  }

  /** One pass over every repository with events; exported for tests. */
  async pass(): Promise<void> {
    for (const { repo, lastAt } of await this.o.source.repos()) {
      if (this.closed) return;
      const retry = this.retry.get(repo);
      if (retry && retry.at > Date.now()) continue;
      // Nothing new since this process drained it: skip the round trips, but look again now and
      // then in case another worker took the lease and died half-way.
      const seen = this.drained.get(repo);
      if (seen && seen.lastAt >= lastAt && Date.now() - seen.checkedAt < RECHECK_MS) continue;
      const run = await withMutex(this.o.redis, `${this.o.prefix}:audit-export-lease:{${repo}}`, () => this.drain(repo), {
        ttlMs: this.o.leaseMs ?? 30_000,
      });
      if (run.acquired && run.value) this.drained.set(repo, { lastAt, checkedAt: Date.now() });
    }
  }

  private async run(): Promise<void> {
    let failing = false;
    while (!this.closed) {
      try {
        await this.pass();
        if (failing) this.o.log.info("audit export going again");
        failing = false;
      } catch (err) {
        // Redis down: the next pass tries again; the cursor was not moved past anything unsent.
        // Said once per outage, not once a second.
        if (!this.closed && !failing) this.o.log.warn({ err: (err as Error).message }, "audit export pass failed: retrying every pass");
        failing = true;
      }
      await sleep(this.o.pollMs ?? 1000, this.stop.signal);
    }
  }

  /** Sends the repository's events after its cursor, in order; true once none are left. */
  private async drain(repo: string): Promise<boolean> {
    let cursor = await this.o.source.exportCursor(repo);
    while (!this.closed) {
      const events = await this.o.source.after(repo, cursor, 100);
      if (events.length === 0) return true;
      for (const event of events) {
        const failure = await this.post(event);
        if (failure !== undefined) {
          this.backOff(repo, event, failure);
          return false;
        }
        this.retry.delete(repo);
        await this.o.source.setExportCursor(repo, event.id);
        cursor = event.id;
      }
    }
    return false;
  }

  /** Undefined when delivered, else why not. */
  private async post(event: AuditEvent): Promise<string | undefined> {
    const body = JSON.stringify(event);
    try {
      const res = await fetch(this.o.url, {
        method: "POST",
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signBody(body, this.o.secret), "x-slipway-event-id": event.id },
        body,
        signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.o.timeoutMs ?? 10_000)]),
        redirect: "manual",
      });
      await res.body?.cancel();
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return e.cause?.code ?? e.name;
    }
  }

  private backOff(repo: string, event: AuditEvent, why: string): void {
    if (this.closed) return;
    const min = this.o.minBackoffMs ?? 1000;
    const delayMs = Math.min(this.o.maxBackoffMs ?? 60_000, this.retry.has(repo) ? this.retry.get(repo)!.delayMs * 2 : min);
    this.retry.set(repo, { at: Date.now() + delayMs, delayMs });
    this.o.log.warn({ repo, id: event.id, why, retryInMs: delayMs }, "audit export failed: retrying");
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
