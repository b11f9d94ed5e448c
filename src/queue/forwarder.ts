// Moves intents from the intake stream to the job queues; runs in every worker process. An entry
// is acknowledged only after its jobs are added, so a forwarder that dies mid-way loses nothing:
// another one claims its entries once they have been idle `claimIdleMs`. Adding an intent twice
// is harmless, as job ids are deterministic (jobs.ts) and recording a head is idempotent.
import type { Logger } from "pino";
import type { IntentSink } from "../domain/intent.ts";
import type { IntakeEntry, IntakeStream } from "./intake-stream.ts";

export interface ForwarderOptions {
  stream: IntakeStream;
  /** Where intents go: the Dispatcher, which adds the jobs. */
  jobs: IntentSink;
  /** Unique among all forwarders, alive or dead. */
  consumer: string;
  log: Logger;
  /** Ends a blocking read at once on close (the reader connection is closed for good). */
  interruptRead: () => void;
  batch?: number;
  blockMs?: number;
  /** How long an entry may stay with one forwarder before another takes it over. */
  claimIdleMs?: number;
  /** Consumers gone this long with nothing pending are forgotten. */
  forgetConsumerMs?: number;
  /** Tries, while Redis answers, before an entry that keeps failing is set aside (SPEC §10: 5). */
  maxTries?: number;
  /** Told of each entry set aside (metrics count them). */
  onDeadLetter?: () => void;
}

export interface Forwarder {
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts forwarding in the background; Redis being away at start is retried like any error. */
export function startForwarder(opts: ForwarderOptions): Forwarder {
  const { stream, jobs, consumer, log } = opts;
  const batch = opts.batch ?? 100;
  const blockMs = opts.blockMs ?? 5000;
  const claimIdleMs = opts.claimIdleMs ?? 30_000;
  const forgetConsumerMs = opts.forgetConsumerMs ?? 3600_000;
  const maxTries = opts.maxTries ?? 5;
  const onDeadLetter = opts.onDeadLetter;
  let stopped = false;
  let lastSweep = 0;
  /** After a failure part-way through a batch, its rest is still ours to forward. */
  let ownPending = true;

  const forward = async (entries: IntakeEntry[]) => {
    const forwarded: string[] = [];
    try {
      for (const entry of entries) {
        if (!entry.intents) log.error({ entry: entry.id }, "intake entry is not a list of intents; dropped");
        if (await forwardOne(entry)) forwarded.push(entry.id);
      }
    } finally {
      // What went through is acknowledged even when a later entry stops the batch.
      await stream.done(forwarded);
    }
  };

  /** True when the entry became jobs; false when it was set aside; throws to retry it later. */
  const forwardOne = async (entry: IntakeEntry): Promise<boolean> => {
    try {
      for (const intent of entry.intents ?? []) await jobs.dispatch(intent);
      return true;
    } catch (err) {
      // Redis away: every entry would fail, none is to blame; the loop waits for Redis.
      if (!(await stream.answers())) throw err;
      const tries = await stream.failedTry(entry.id);
      if (tries < maxTries) throw err;
      await stream.deadLetter(entry, (err as Error).message);
      log.error({ entry: entry.id, tries, err: (err as Error).message }, "intake entry failed to become jobs while Redis answered: set aside as a dead letter");
      onDeadLetter?.();
      return false;
    }
  };

  /** Entries of dead forwarders, and the dead forwarders themselves. */
  const sweep = async () => {
    lastSweep = Date.now();
    const stale = await stream.claimStale(consumer, claimIdleMs, batch);
    if (stale.length > 0) log.warn({ entries: stale.length }, "took over intake entries of a stopped forwarder");
    await forward(stale);
    for (const c of await stream.consumers()) {
      if (c.name !== consumer && c.pending === 0 && c.idleMs > forgetConsumerMs) await stream.removeConsumer(c.name);
    }
  };

  let grouped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        if (!grouped) {
          await stream.ensureGroup();
          grouped = true;
        }
        if (Date.now() - lastSweep >= claimIdleMs / 2) await sweep();
        if (ownPending) {
          const mine = await stream.readOwnPending(consumer, batch);
          await forward(mine);
          ownPending = mine.length === batch;
          continue;
        }
        await forward(await stream.readNew(consumer, batch, blockMs));
      } catch (err) {
        ownPending = true;
        if (stopped) break;
        const message = (err as Error).message;
        // The stream or group was deleted (a Redis without persistence restarted): start afresh.
        if (/NOGROUP/.test(message)) grouped = false;
        else log.warn({ err: message }, "intake forwarder: could not forward, retrying");
        await sleep(1000);
      }
    }
  })();

  return {
    async close() {
      stopped = true;
      opts.interruptRead();
      await loop;
      // Everything it read was forwarded and acknowledged, or stays pending for another to claim.
      const me = (await stream.consumers().catch(() => [])).find((c) => c.name === consumer);
      if (me && me.pending === 0) await stream.removeConsumer(consumer).catch(() => {});
    },
  };
}
