// The intake stream: the webhook server appends intents here and the workers' forwarders
// (forwarder.ts) turn them into BullMQ jobs. An intent is durable in Redis as soon as its append
// returns, which is when the server answers 2xx. Adding a BullMQ job costs the server more CPU
// than checking the signature does, so that cost moves to the workers; and the intents of
// deliveries that arrive together share one entry (one XADD), flushed at the end of the event
// loop turn. A consumer group gives each entry to one forwarder; an entry stays pending until its
// forwarder has added its jobs, and is then deleted.
import { intakeKey } from "./key-scheme.ts";
import type { RedisConnection } from "./redis.ts";
import type { Intent, IntentSink } from "../domain/intent.ts";

export const FORWARDER_GROUP = "forwarders";

/** Entries set aside are kept for the operator to read (and redeliver by hand): the newest this many. */
const DEAD_LETTERS_KEPT = 10_000;
/** How long an append waits for its replicas: well within GitHub's 10 s for a delivery. */
const REPLICA_WAIT_MS = 2000;
/** A count of failed tries is forgotten once nothing has failed for a day. */
const FAILURES_TTL_MS = 24 * 3600 * 1000;

/** An intake entry that kept failing to become jobs while Redis answered (SPEC §10). */
export interface DeadLetter {
  /** The id in the dead-letter stream: when it was set aside. */
  id: string;
  /** Its id in the intake stream. */
  entry: string;
  /** The intents, as JSON. */
  intents: string;
  error: string;
}

export interface IntakeEntry {
  id: string;
  /** In the order they were appended; undefined when the entry is not a list of intents (written by something else): dropped. */
  intents: Intent[] | undefined;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  idleMs: number;
}

/** Fields are null for an entry deleted while it was pending. */
type RawEntry = [id: string, fields: string[] | null];

const isIntent = (x: unknown): x is Intent => typeof x === "object" && x !== null && typeof (x as { kind?: unknown }).kind === "string";

function toEntry([id, fields]: RawEntry): IntakeEntry {
  const at = fields?.indexOf("intents") ?? -1;
  if (at < 0 || at % 2 !== 0) return { id, intents: undefined };
  try {
    const intents = JSON.parse(fields![at + 1]!) as unknown;
    return { id, intents: Array.isArray(intents) && intents.every(isIntent) ? intents : undefined };
  } catch {
    return { id, intents: undefined };
  }
}

interface Waiting {
  json: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class IntakeStream implements IntentSink {
  private readonly key: string;
  private waiting: Waiting[] = [];

  /**
   * @param redis  appends, acknowledgements and group management
   * @param reader a connection of its own for blocking reads (forwarders only)
   * @param replicas replicas an append must reach before it counts as done (appendReplicas in redis.ts)
   */
  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
    private readonly reader: RedisConnection = redis,
    private readonly replicas = 0,
  ) {
    this.key = intakeKey(prefix);
  }

  /** The webhook server's sink: resolves once the intent is in Redis, with those appended in the same turn. */
  dispatch(intent: Intent): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ json: JSON.stringify(intent), resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      await this.append(`[${batch.map((w) => w.json).join(",")}]`);
      for (const w of batch) w.resolve();
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  /**
   * XADD, and with replicas to wait for, WAIT in the same round trip: the webhook is answered 2xx
   * only once a replica has the entry too, so a failover cannot lose an acknowledged intent.
   * Refused (the delivery gets a 503, which GitHub records as failed) when no replica confirms.
   */
  private async append(intents: string): Promise<void> {
    if (this.replicas === 0) {
      await this.redis.xadd(this.key, "*", "intents", intents);
      return;
    }
    const replies = (await this.redis.pipeline().xadd(this.key, "*", "intents", intents).wait(this.replicas, REPLICA_WAIT_MS).exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const confirmed = Number(replies[1]?.[1]);
    if (confirmed < this.replicas) throw new Error(`the intake entry reached ${confirmed} of ${this.replicas} replica(s) within ${REPLICA_WAIT_MS} ms`);
  }

  /** Creates the stream and the group if missing; from the start, so nothing appended before is skipped. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup("CREATE", this.key, FORWARDER_GROUP, "0", "MKSTREAM");
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  /** Entries never given to any forwarder, waiting up to `blockMs` for one. */
  async readNew(consumer: string, count: number, blockMs: number): Promise<IntakeEntry[]> {
    const res = (await this.reader.xreadgroup("GROUP", FORWARDER_GROUP, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", this.key, ">")) as
      [string, RawEntry[]][] | null;
    return res?.[0]?.[1].map(toEntry) ?? [];
  }

  /** Entries this forwarder was given but has not acknowledged (after a failure part-way). */
  async readOwnPending(consumer: string, count: number): Promise<IntakeEntry[]> {
    const res = (await this.redis.xreadgroup("GROUP", FORWARDER_GROUP, consumer, "COUNT", count, "STREAMS", this.key, "0")) as [string, RawEntry[]][] | null;
    return res?.[0]?.[1].map(toEntry) ?? [];
  }

  /** Takes over entries another forwarder (or this one, before a failure) has held longer than `idleMs`. */
  async claimStale(consumer: string, idleMs: number, count: number): Promise<IntakeEntry[]> {
    const [, entries] = (await this.redis.xautoclaim(this.key, FORWARDER_GROUP, consumer, idleMs, "0-0", "COUNT", count)) as [string, (RawEntry | null)[]];
    // Entries deleted while pending come back as null.
    return entries.filter((e): e is RawEntry => e !== null).map(toEntry);
  }

  /** Acknowledges and deletes forwarded entries. */
  async done(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis
      .multi()
      .xack(this.key, FORWARDER_GROUP, ...ids)
      .xdel(this.key, ...ids)
      .exec();
  }

  async consumers(): Promise<ConsumerInfo[]> {
    const rows = (await this.redis.xinfo("CONSUMERS", this.key, FORWARDER_GROUP)) as (string | number)[][];
    return rows.map((row) => {
      const field = (name: string) => row[row.indexOf(name) + 1];
      return { name: String(field("name")), pending: Number(field("pending")), idleMs: Number(field("idle")) };
    });
  }

  /** Forgets a consumer; only call it for one with nothing pending (its pending entries would be lost). */
  async removeConsumer(name: string): Promise<void> {
    await this.redis.xgroup("DELCONSUMER", this.key, FORWARDER_GROUP, name);
  }

  /** Whether Redis answers: tells a poison entry (Redis fine, the entry fails) from an outage. */
  async answers(): Promise<boolean> {
    return this.redis.ping().then(
      (pong) => pong === "PONG",
      () => false,
    );
  }

  /** Counts one more failed try to forward the entry; returns the tries so far. */
  async failedTry(id: string): Promise<number> {
    const [[, tries]] = (await this.redis.multi().hincrby(this.failuresKey, id, 1).pexpire(this.failuresKey, FAILURES_TTL_MS).exec()) as [
      [null, number],
      unknown,
    ];
    return tries;
  }

  /**
   * Sets an entry aside for good: it goes to the dead-letter stream with the error that kept
   * failing it, and leaves the intake stream so the entries behind it move on.
   */
  async deadLetter(entry: IntakeEntry, error: string): Promise<void> {
    await this.redis
      .multi()
      .xadd(this.deadKey, "MAXLEN", "~", String(DEAD_LETTERS_KEPT), "*", "entry", entry.id, "intents", JSON.stringify(entry.intents ?? null), "error", error)
      .hdel(this.failuresKey, entry.id)
      .xack(this.key, FORWARDER_GROUP, entry.id)
      .xdel(this.key, entry.id)
      .exec();
  }

  /** The entries set aside, newest first. */
  async deadLetters(count = 100): Promise<DeadLetter[]> {
    const rows = (await this.redis.xrevrange(this.deadKey, "+", "-", "COUNT", count)) as [string, string[]][];
    return rows.map(([id, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1] ?? "";
      return { id, entry: field("entry"), intents: field("intents"), error: field("error") };
    });
  }

  // Beside the stream, under its hash tag: deadLetter's MULTI touches all three.
  private get failuresKey(): string {
    return `${this.key}:failures`;
  }

  private get deadKey(): string {
    return `${this.key}:dead`;
  }

  /** Every entry still in the stream, oldest first: not yet forwarded, or in a forwarder's hands. */
  async entries(): Promise<IntakeEntry[]> {
    return ((await this.redis.xrange(this.key, "-", "+")) as RawEntry[]).map(toEntry);
  }
}
