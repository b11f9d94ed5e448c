// The last N bytes of a line stream, as whole lines (the oldest line may be cut at its start).

export class TailBuffer {
  droppedBytes = 0;
  droppedLines = 0;
  // A ring of lines: `start` advances instead of shift(), which is O(n) per call on big arrays.
  private items: string[] = [];
  private sizes: number[] = [];
  private start = 0;
  private bytes = 0;

  constructor(private readonly limit: number) {}

  push(line: string, bytes: number): void {
    if (bytes > this.limit) {
      // A single line longer than the whole tail: keep its end, the part nearest what follows.
      this.dropAll();
      const kept = keepLastBytes(line, this.limit - 1);
      const keptBytes = Buffer.byteLength(kept) + 1;
      this.droppedBytes += bytes - keptBytes;
      this.items.push(kept);
      this.sizes.push(keptBytes);
      this.bytes = keptBytes;
      return;
    }
    this.items.push(line);
    this.sizes.push(bytes);
    this.bytes += bytes;
    while (this.bytes > this.limit) {
      this.bytes -= this.sizes[this.start]!;
      this.droppedBytes += this.sizes[this.start]!;
      this.droppedLines++;
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.sizes = this.sizes.slice(this.start);
      this.start = 0;
    }
  }

  lines(): string[] {
    return this.items.slice(this.start);
  }

  private dropAll(): void {
    this.droppedBytes += this.bytes;
    this.droppedLines += this.items.length - this.start;
    this.items = [];
    this.sizes = [];
    this.start = 0;
    this.bytes = 0;
  }
}

function keepLastBytes(line: string, max: number): string {
  const buf = Buffer.from(line);
  let from = Math.max(0, buf.length - max);
  while (from < buf.length && (buf[from]! & 0xc0) === 0x80) from++;
  return buf.subarray(from).toString("utf8");
}
