// How Slipway names its Redis keys so that it runs unchanged on a Redis Cluster. A Cluster keeps
// each key in one of 16384 slots, and one command, MULTI or Lua script may only touch keys of one
// slot; a key's slot is the hash of its `{hash tag}` when it has one. So: keys that one command,
// transaction, pipeline or script touches together share a hash tag. Everything starts with
// SLIPWAY_QUEUE_PREFIX (one installation's keys), and each store builds its keys in one place:
//   {<prefix>}:…                 BullMQ's queues and the intake stream (BullMQ's own convention;
//                                 its scripts touch many keys of a queue at once)
//   <prefix>:locks:{<owner/repo>}:…, <prefix>:apply-mutex:{<owner/repo>}:…   per repository
//   <prefix>:{audit}:…, <prefix>:{metrics}:…, <prefix>:{runlog}:…              one tag per store
//   <prefix>:<kind>:…            keys only ever touched one at a time: no tag needed

/** BullMQ's `prefix` option: every key of every queue of the installation in one slot. */
export function queueKeyPrefix(prefix: string): string {
  return `{${prefix}}`;
}

/** The intake stream, beside the queues its entries become (see intake-stream.ts). */
export function intakeKey(prefix: string): string {
  return `${queueKeyPrefix(prefix)}:intake`;
}
