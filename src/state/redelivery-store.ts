// What the redeliverer (src/recovery/) keeps in Redis, under one Cluster hash tag
// (BASE = `<prefix>:{redelivery}`):
//   BASE:lease       string  the token of the process that scans GitHub's delivery log, with a TTL
//   BASE:checkpoint  string  epoch ms a scan need not look before
//   BASE:asked       zset    delivery id (guid) → epoch ms Slipway asked GitHub to redeliver it
// The lease elects one scanner among every Slipway process; its holder renews it, and when the
// holder dies it expires and another takes it. Asked ids are claimed before the request, so even
// two scanners (a lease lost in a pause) ask once per delivery; they are forgotten after GitHub's
// log has dropped the delivery.
import type { RedisConnection } from "../queue/redis.ts";
import { LOG_KEPT_MS } from "../recovery/missed-deliveries.ts";

/** Take the lease if free, keep it if ours. KEYS: lease. ARGV: token, ttl ms. 1: held. */
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Asked ids are kept a little longer than GitHub keeps the deliveries. */
const ASKED_KEPT_MS = LOG_KEPT_MS + 3600 * 1000;

export class RedeliveryStore {
  private readonly base: string;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
  ) {
    this.base = `${prefix}:{redelivery}`;
  }

  /** Takes or renews the lease for `token`; false when another process holds it. */
  async holdLease(token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(HOLD, 1, `${this.base}:lease`, token, String(ttlMs))) === 1;
  }

  async releaseLease(token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, `${this.base}:lease`, token);
  }

  async checkpoint(): Promise<number | undefined> {
    const value = await this.redis.get(`${this.base}:checkpoint`);
    return value === null ? undefined : Number(value);
  }

  async setCheckpoint(ms: number): Promise<void> {
    await this.redis.set(`${this.base}:checkpoint`, String(ms));
  }

  /** Which of these delivery ids were already asked for (and forgets those asked long ago). */
  async askedAmong(guids: readonly string[], nowMs = Date.now()): Promise<Set<string>> {
    const key = `${this.base}:asked`;
    const pipeline = this.redis.pipeline().zremrangebyscore(key, "-inf", `(${nowMs - ASKED_KEPT_MS}`);
    for (const guid of guids) pipeline.zscore(key, guid);
    const replies = (await pipeline.exec()) ?? [];
    const asked = new Set<string>();
    guids.forEach((guid, i) => {
      const [err, score] = replies[i + 1] ?? [];
      if (err) throw err;
      if (score !== null && score !== undefined) asked.add(guid);
    });
    return asked;
  }

  /** Claims the delivery for one request: false when it was already asked for. */
  async claim(guid: string, nowMs = Date.now()): Promise<boolean> {
    return (await this.redis.zadd(`${this.base}:asked`, "NX", nowMs, guid)) === 1;
  }

  /** The request failed: a later scan may ask again. */
  async unclaim(guid: string): Promise<void> {
    await this.redis.zrem(`${this.base}:asked`, guid);
  }
}
