// Lines waiting for Redis, kept as bytes in a few reused buffers rather than as JavaScript
// objects: each line is encoded once and its string dies at once. Under a flood (50 MB printed
// as fast as a pipe allows) queued lines as objects outlived young-generation collections, and
// fresh buffers per batch piled up as native memory awaiting collection; both grew the worker by
// tens of MB (bench/README.md, Findings 7). Reused buffers do neither.
//
// A batch is NDJSON: one JSON line per log line, each ending in "\n" — the form a stream entry
// and a gzip member of the log both store (run-log-keys.ts).

const MAX_FREE_BUFFERS = 16;

/** One batch: `lines` lines of NDJSON in `bytes` (a view of a reused buffer: see `release`). */
export interface LineBatch {
  lines: number;
  bytes: Buffer;
}

export interface LineBatchQueueOptions {
  /** Lines per batch at most (a reader looks this far back for the batch holding a line). */
  maxLines: number;
  /** Bytes per batch buffer; a longer line gets a buffer of its own. */
  batchBytes: number;
  /** Bytes queued at most: `push` refuses a line beyond it. */
  maxBytes: number;
}

export class LineBatchQueue {
  /** Lines queued (sealed batches and the open one). */
  lines = 0;
  /** Bytes queued. */
  bytes = 0;

  private readonly sealed: LineBatch[] = [];
  private readonly free: Buffer[] = [];
  private open: Buffer | undefined;
  private openUsed = 0;
  private openLines = 0;

  constructor(private readonly opts: LineBatchQueueOptions) {}

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /**
   * Queues one JSON line (no newline); false when the queue is full and the line was not kept.
   * `force` keeps it anyway (Slipway's own notes about the log, which are few and short).
   */
  push(json: string, force = false): boolean {
    const size = Buffer.byteLength(json) + 1;
    if (!force && this.bytes + size > this.opts.maxBytes) return false;
    if (!this.open || this.openUsed + size > this.open.length || this.openLines >= this.opts.maxLines) {
      this.seal();
      this.open = size <= this.opts.batchBytes ? (this.free.pop() ?? Buffer.allocUnsafe(this.opts.batchBytes)) : Buffer.allocUnsafe(size);
    }
    this.openUsed += this.open.write(json, this.openUsed);
    this.open[this.openUsed++] = 0x0a;
    this.openLines++;
    this.lines++;
    this.bytes += size;
    return true;
  }

  /**
   * Takes batches, oldest first, up to about `maxBytes` in all but at least one. Their bytes stay
   * valid until they are given back with `release`.
   */
  take(maxBytes: number): LineBatch[] {
    const out: LineBatch[] = [];
    let taken = 0;
    while (taken < maxBytes || out.length === 0) {
      if (this.sealed.length === 0) this.seal();
      const batch = this.sealed.shift();
      if (!batch) break;
      out.push(batch);
      taken += batch.bytes.length;
      this.lines -= batch.lines;
      this.bytes -= batch.bytes.length;
    }
    return out;
  }

  /** Batches that have been sent: their buffers hold the next lines. */
  release(batches: LineBatch[]): void {
    for (const { bytes } of batches) {
      // Only standard buffers are kept, and a few: enough for the batches of one flood's flush.
      if (bytes.buffer.byteLength !== this.opts.batchBytes || bytes.byteOffset !== 0) continue;
      if (this.free.length >= MAX_FREE_BUFFERS) continue;
      this.free.push(Buffer.from(bytes.buffer, 0, this.opts.batchBytes));
    }
  }

  private seal(): void {
    if (this.open && this.openLines > 0) this.sealed.push({ lines: this.openLines, bytes: this.open.subarray(0, this.openUsed) });
    else if (this.open) this.free.push(this.open);
    this.open = undefined;
    this.openUsed = 0;
    this.openLines = 0;
  }
}
