// Fetches back the webhooks GitHub failed to deliver (SPEC §10): GitHub never retries a delivery
// on its own, so pull requests opened while Slipway was down would never be planned. Every
// process runs one of these; a Redis lease elects the one that scans. The holder scans when it
// takes the lease (at start, or on taking over from a dead holder) and then every interval.
// Which deliveries to ask for is decided in missed-deliveries.ts; this file does the I/O.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { AuditRecorder } from "../audit/recorder.ts";
import type { HookDeliveryAttempt, HookDeliveryLog, HookDeliverySubject } from "../github/port.ts";
import type { RedeliveryStore } from "../state/redelivery-store.ts";
import { missedDeliveries, nextCheckpoint, rateLimitWaitMs, reachesBack, scanSince, type MissedDelivery } from "./missed-deliveries.ts";

export type RedeliveryOutcome = "requested" | "failed";

export interface RedelivererOptions {
  log: HookDeliveryLog;
  store: RedeliveryStore;
  audit: AuditRecorder;
  count(outcome: RedeliveryOutcome): void;
  logger: Logger;
  intervalMs: number;
  /** Events Slipway acts on (intake's HANDLED_EVENTS). */
  events: readonly string[];
  /** How long a dead holder keeps the lease; renewed every third of it. */
  leaseMs?: number;
  /** At least this long between two redelivery requests. */
  paceMs?: number;
  now?: () => number;
}

/** A rate limit asking for a longer wait ends the scan; the next one carries on. */
const MAX_RATE_LIMIT_WAIT_MS = 15 * 60 * 1000;

export class Redeliverer {
  private readonly token = randomUUID();
  private readonly leaseMs: number;
  private readonly paceMs: number;
  private readonly now: () => number;
  private holding = false;
  private nextScanAt = 0;
  private scanning: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: RedelivererOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.paceMs = o.paceMs ?? 50;
    this.now = o.now ?? Date.now;
  }

  start(): this {
    this.ticking = this.tick();
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.ticking;
    await this.scanning;
    if (this.holding) await this.o.store.releaseLease(this.token).catch(() => {});
  }

  /** Keeps (or tries to take) the lease, and starts a scan when one is due. */
  private async tick(): Promise<void> {
    try {
      const held = await this.o.store.holdLease(this.token, this.leaseMs);
      if (held && !this.holding) {
        this.o.logger.info("redelivery: this process scans GitHub's webhook delivery log");
        this.nextScanAt = 0; // taking over: the previous holder may have died mid-scan
      }
      this.holding = held;
    } catch (err) {
      // Redis away: another process may take the lease once it expires; scan again on return.
      if (this.holding) this.o.logger.warn({ err: (err as Error).message }, "redelivery: could not renew the lease");
      this.holding = false;
    }
    if (this.holding && !this.closed && !this.scanning && this.now() >= this.nextScanAt) {
      this.nextScanAt = this.now() + this.o.intervalMs;
      this.scanning = this.scan()
        .catch((err: Error) => this.o.logger.warn({ err: err.message }, "redelivery: scan failed; the next one tries again"))
        .finally(() => (this.scanning = undefined));
    }
    if (!this.closed) this.timer = setTimeout(() => (this.ticking = this.tick()), Math.min(this.leaseMs / 3, this.o.intervalMs));
  }

  private async scan(): Promise<void> {
    const started = this.now();
    const since = scanSince(await this.o.store.checkpoint(), started);
    const attempts: HookDeliveryAttempt[] = [];
    for await (const page of this.o.log.pages()) {
      attempts.push(...page);
      if (reachesBack(page, since) || !this.holding || this.closed) break;
    }
    const failed = [...new Set(attempts.filter((a) => a.statusCode < 200 || a.statusCode >= 300).map((a) => a.guid))];
    const asked = await this.o.store.askedAmong(failed);
    const missed = missedDeliveries({ attempts, sinceMs: since, asked, events: new Set(this.o.events) });
    if (missed.length > 0)
      this.o.logger.info({ deliveries: missed.length, attempts: attempts.length }, "redelivery: asking GitHub to redeliver missed webhooks");
    for (const delivery of missed) {
      if (!this.holding || this.closed) return; // the checkpoint stays: the next holder looks again
      await this.redeliver(delivery);
      await this.pause(this.paceMs);
    }
    if (this.holding && !this.closed) await this.o.store.setCheckpoint(nextCheckpoint(started));
  }

  /** One delivery: claimed first, so it is asked for once whatever else scans. */
  private async redeliver(d: MissedDelivery): Promise<void> {
    if (!(await this.o.store.claim(d.guid))) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const subject = await this.o.log.subject(d.attemptId);
        await this.o.log.redeliver(d.attemptId);
        this.o.count("requested");
        this.o.logger.info({ delivery: d.guid, event: d.event, action: d.action, repo: subject.repo }, "redelivery requested");
        await this.recordAudit(d, subject);
        return;
      } catch (err) {
        const e = err as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
        const wait = rateLimitWaitMs(e.status, e.response?.headers, this.now());
        if (wait !== undefined && wait <= MAX_RATE_LIMIT_WAIT_MS && attempt < 3 && !this.closed) {
          this.o.logger.warn({ delivery: d.guid, waitMs: wait }, "redelivery: GitHub asks to slow down; waiting");
          await this.pause(wait);
          continue;
        }
        await this.o.store.unclaim(d.guid).catch(() => {});
        this.o.count("failed");
        this.o.logger.warn({ delivery: d.guid, status: e.status, err: e.message }, "redelivery request failed; the next scan asks again");
        if (wait !== undefined) throw new Error("GitHub's rate limit stops this scan", { cause: err });
        return;
      }
    }
  }

  private async recordAudit(d: MissedDelivery, subject: HookDeliverySubject): Promise<void> {
    // Every event Slipway asks for has a repository; without one the log line is the trail.
    if (subject.repo === undefined) return;
    const what = d.action ? `${d.event}.${d.action}` : d.event;
    const lastAnswer = d.lastStatus === 0 ? "no connection" : String(d.lastStatus);
    await this.o.audit.record({
      kind: "webhook.redelivered",
      actor: "slipway",
      repo: subject.repo,
      ...(subject.pull !== undefined ? { pull: subject.pull } : {}),
      delivery: d.guid,
      outcome: "requested",
      reason: `${what} of ${new Date(d.firstAt).toISOString()} never got a 2xx (last answer: ${lastAnswer})`,
    });
  }

  /** A wait that close() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
