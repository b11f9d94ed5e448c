// Turns a byte stream into lines. Works on bytes, not decoded strings, so a chunk boundary in the
// middle of a multi-byte UTF-8 character never produces a replacement character: a newline byte
// (0x0A) never occurs inside a UTF-8 sequence, so every complete line decodes cleanly.

/** Lines longer than this are cut, so one newline-free stream cannot grow memory without bound. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  write(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl === -1) break;
      this.emitPending(true);
      start = nl + 1;
    }
  }

  /** Emits a last line that had no trailing newline. */
  end(): void {
    if (this.pendingBytes > 0) this.emitPending(true);
  }

  private append(part: Buffer): void {
    let rest = part;
    while (this.pendingBytes + rest.length > this.maxLineBytes) {
      // One byte past the limit tells whether the cut would fall inside a character; pending may
      // itself end mid-character, so the boundary is searched on the joined bytes.
      const line = Buffer.concat([...this.pending, rest.subarray(0, this.maxLineBytes - this.pendingBytes + 1)]);
      let cut = this.maxLineBytes;
      while (cut > 0 && isContinuation(line[cut]!)) cut--;
      if (cut === 0) cut = this.maxLineBytes; // not UTF-8 at all: cut anywhere
      const fromRest = cut - this.pendingBytes;
      const keep = fromRest < 0 ? line.subarray(cut, this.pendingBytes) : undefined;
      this.pending = [line.subarray(0, cut)];
      this.pendingBytes = cut;
      this.emitPending(false);
      if (keep) {
        this.pending = [keep];
        this.pendingBytes = keep.length;
      } else {
        rest = rest.subarray(fromRest);
      }
    }
    if (rest.length > 0) {
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
  }

  private emitPending(stripCarriageReturn: boolean): void {
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let line = bytes.toString("utf8");
    if (stripCarriageReturn && line.endsWith("\r")) line = line.slice(0, -1);
    this.emit(line);
  }
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80; // 10xxxxxx
}
