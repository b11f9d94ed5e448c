// Bounded capture of a process's combined stdout+stderr. Every line is cleaned (ANSI stripped,
// secrets redacted) before it is kept or written anywhere, so nothing uncleaned reaches memory
// that outlives the line, nor the disk. Memory is head + tail + one line per input, whatever the
// process prints: the full log goes to a file, with backpressure so a slow disk cannot make the
// file stream buffer the whole output instead.
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { Writable } from "node:stream";
import stripAnsi from "strip-ansi";
import { LineSplitter, MAX_LINE_BYTES } from "./line-splitter.ts";
import { TailBuffer } from "./tail-buffer.ts";

export const DEFAULT_HEAD_BYTES = 256 * 1024;
export const DEFAULT_TAIL_BYTES = 256 * 1024;

export interface OutputCaptureOptions {
  redact?: (line: string) => string;
  headBytes?: number;
  tailBytes?: number;
  /** Every cleaned line is appended to this file (created with its directory). */
  logFile?: string;
  /** Sees every cleaned line, e.g. to scan for plan counts beyond what the buffers keep. */
  onLine?: (line: string, stream: LineSource) => void;
  maxLineBytes?: number;
}

/** Where a line came from: the step's stdout or stderr, or the runner itself (`$ command`, errors). */
export type LineSource = "stdout" | "stderr" | "runner";

export class OutputCapture {
  /** Bytes of cleaned text seen (UTF-8, one newline per line): the size of the full log. */
  totalBytes = 0;
  lineCount = 0;
  readonly logFile: string | undefined;

  private readonly redact: (line: string) => string;
  private readonly onLine: ((line: string, stream: LineSource) => void) | undefined;
  private readonly headLimit: number;
  private readonly head: string[] = [];
  private headBytes = 0;
  private headFull = false;
  private readonly tail: TailBuffer;
  private readonly maxLineBytes: number;
  private file: WriteStream | undefined;
  private fileReady: Promise<void> | undefined;
  private fileError: Error | undefined;
  private closed = false;

  constructor(opts: OutputCaptureOptions = {}) {
    this.redact = opts.redact ?? ((line) => line);
    this.onLine = opts.onLine;
    this.headLimit = opts.headBytes ?? DEFAULT_HEAD_BYTES;
    this.tail = new TailBuffer(opts.tailBytes ?? DEFAULT_TAIL_BYTES);
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
    this.logFile = opts.logFile;
    if (opts.logFile) {
      const path = opts.logFile;
      this.fileReady = mkdir(dirname(path), { recursive: true }).then(
        () => {
          this.file = createWriteStream(path, { flags: "w" });
          this.file.on("error", (err) => {
            this.fileError = err;
          });
        },
        (err: Error) => {
          this.fileError = err;
        },
      );
    }
  }

  /**
   * Why the full log file could not be written, if it could not. Not thrown: the step has run
   * (maybe an apply), and its result matters more than the log copy.
   */
  get logError(): Error | undefined {
    return this.fileError;
  }

  /** True when the middle of the output was dropped from `text()`. */
  get truncated(): boolean {
    return this.tail.droppedBytes > 0;
  }

  /**
   * A writable for one raw byte stream (stdout, stderr). Each has its own splitter, so a partial
   * line on stdout is never glued to stderr bytes; complete lines interleave in arrival order.
   */
  createInput(stream: "stdout" | "stderr" = "stdout"): Writable {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), this.maxLineBytes);
    const flush = (done: (err?: Error | null) => void) => {
      const batch = lines.splice(0);
      this.addLines(batch, stream).then(() => done(), done);
    };
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        splitter.write(chunk);
        flush(done);
      },
      final: (done) => {
        splitter.end();
        flush(done);
      },
    });
  }

  /** Adds one line from the runner itself (a `$ command` echo, an error explanation). */
  async writeLine(line: string): Promise<void> {
    await this.addLines([line], "runner");
  }

  /** Head, an omission marker if the middle was dropped, and tail; no trailing newline. */
  text(): string {
    const parts = [...this.head];
    if (this.tail.droppedBytes > 0) {
      parts.push(
        `[… ${this.tail.droppedLines} lines (${formatBytes(this.tail.droppedBytes)}) omitted here` +
          (this.logFile && !this.fileError ? `; full log: ${this.logFile}` : "") +
          " …]",
      );
    }
    parts.push(...this.tail.lines());
    return parts.join("\n");
  }

  /** Finishes the log file (see `logError`). Later lines are still counted and kept in memory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fileReady;
    const file = this.file;
    this.file = undefined;
    if (file && !file.destroyed) {
      await new Promise<void>((resolve) => {
        file.once("error", () => resolve());
        file.end(resolve);
      });
    }
  }

  private async addLines(raw: string[], stream: LineSource): Promise<void> {
    if (raw.length === 0) return;
    let chunk = "";
    for (const line of raw) {
      const clean = this.redact(stripAnsi(line));
      this.keep(clean);
      this.onLine?.(clean, stream);
      chunk += clean + "\n";
    }
    if (this.fileReady) {
      await this.fileReady;
      const file = this.file;
      if (file && !file.destroyed && !file.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            file.off("drain", done);
            file.off("close", done);
            resolve();
          };
          file.on("drain", done);
          file.on("close", done);
        });
      }
    }
  }

  private keep(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    this.totalBytes += bytes;
    this.lineCount++;
    if (!this.headFull && this.headBytes + bytes <= this.headLimit) {
      this.head.push(line);
      this.headBytes += bytes;
      return;
    }
    // Once one line overflows the head, later lines go to the tail even if short, to keep order.
    this.headFull = true;
    this.tail.push(line, bytes);
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
