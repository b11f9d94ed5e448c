// Which webhook deliveries to ask GitHub to send again (SPEC §10). Pure: the attempts GitHub
// lists, how far back to look and what was already asked go in; the deliveries to redeliver
// come out, oldest first, so a pull request's `opened` is replayed before its `/plan` and merge.
import type { HookDeliveryAttempt } from "../github/port.ts";

/** GitHub keeps a delivery log of 3 days; older attempts cannot be redelivered. */
export const LOG_KEPT_MS = 72 * 3600 * 1000;

/**
 * A scan looks back this far before the previous scan's start: GitHub lists an attempt only once
 * it is answered (up to 10 s), and clocks differ. Looking twice at an attempt costs nothing:
 * what was asked is remembered.
 */
export const CHECKPOINT_OVERLAP_MS = 5 * 60 * 1000;

export interface MissedDelivery {
  guid: string;
  /** The newest attempt of it: what the redelivery is asked for. */
  attemptId: number;
  event: string;
  action: string | null;
  /** Epoch ms of its first listed attempt. */
  firstAt: number;
  /** The last answer GitHub got (0: no connection or no answer). */
  lastStatus: number;
}

export interface MissedInput {
  /** Attempts as listed (any order), possibly some older than `sinceMs`. */
  attempts: readonly HookDeliveryAttempt[];
  /** Epoch ms: deliveries with no attempt since then are not looked at. */
  sinceMs: number;
  /** Delivery ids Slipway already asked GitHub to redeliver. */
  asked: ReadonlySet<string>;
  /** Events Slipway acts on: redelivering another would do nothing. */
  events: ReadonlySet<string>;
}

const succeeded = (a: HookDeliveryAttempt) => a.statusCode >= 200 && a.statusCode < 300;

/**
 * A delivery is missed when no attempt with its guid got a 2xx, nobody redelivered it (Slipway
 * or a person pressing "Redeliver": a redelivery that failed too is not retried), and Slipway
 * has not asked for it.
 */
export function missedDeliveries(input: MissedInput): MissedDelivery[] {
  const byGuid = new Map<string, HookDeliveryAttempt[]>();
  for (const a of input.attempts) {
    const group = byGuid.get(a.guid);
    if (group) group.push(a);
    else byGuid.set(a.guid, [a]);
  }
  const missed: MissedDelivery[] = [];
  for (const [guid, group] of byGuid) {
    if (input.asked.has(guid) || !input.events.has(group[0]!.event)) continue;
    if (group.some(succeeded) || group.some((a) => a.redelivery)) continue;
    if (!group.some((a) => a.deliveredAt >= input.sinceMs)) continue;
    const newest = group.reduce((a, b) => (b.deliveredAt > a.deliveredAt || (b.deliveredAt === a.deliveredAt && b.id > a.id) ? b : a));
    missed.push({
      guid,
      attemptId: newest.id,
      event: newest.event,
      action: newest.action,
      firstAt: Math.min(...group.map((a) => a.deliveredAt)),
      lastStatus: newest.statusCode,
    });
  }
  return missed.sort((a, b) => a.firstAt - b.firstAt || a.attemptId - b.attemptId);
}

/** How far back a scan looks: its checkpoint, but never past what GitHub still keeps. */
export function scanSince(checkpointMs: number | undefined, nowMs: number): number {
  return Math.max(checkpointMs ?? 0, nowMs - LOG_KEPT_MS);
}

/** Whether the pages read so far reach back to `sinceMs` (pages are newest first). */
export function reachesBack(page: readonly HookDeliveryAttempt[], sinceMs: number): boolean {
  return page.some((a) => a.deliveredAt < sinceMs);
}

/** The checkpoint a complete scan that started at `startedMs` leaves for the next one. */
export function nextCheckpoint(startedMs: number): number {
  return startedMs - CHECKPOINT_OVERLAP_MS;
}

/**
 * How long to wait before asking again after an answer that says "slow down", or undefined when
 * the answer is no rate limit: 429, or 403 with `retry-after` (a secondary limit) or with no
 * requests left (`x-ratelimit-remaining: 0`, until `x-ratelimit-reset`). Without a hint GitHub
 * asks for at least a minute.
 */
export function rateLimitWaitMs(
  status: number | undefined,
  headers: Record<string, string | number | undefined> | undefined,
  nowMs: number,
): number | undefined {
  if (status !== 429 && status !== 403) return undefined;
  const retryAfter = Number(headers?.["retry-after"]);
  if (headers?.["retry-after"] !== undefined && Number.isFinite(retryAfter)) return Math.max(0, retryAfter * 1000);
  const reset = Number(headers?.["x-ratelimit-reset"]);
  if (String(headers?.["x-ratelimit-remaining"]) === "0" && Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs);
  return status === 429 ? 60_000 : undefined;
}
