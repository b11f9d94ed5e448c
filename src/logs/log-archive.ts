// The whole of a run's log as gzip members (layout: run-log-keys.ts): batches are appended as
// they are sent, and a member is cut each time about `memberBytes` of lines have gathered, at a
// batch boundary so that a member's first line starts a stream entry. The plain bytes gather in
// one buffer used again for every member (fresh buffers per member were native memory waiting
// for a collection).
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { LineBatch } from "./line-batch-queue.ts";

const gzipAsync = promisify(gzip);

/** Member `index` of the archive: gzip of NDJSON lines, the first being line `start`. */
export interface ArchiveMember {
  index: number;
  start: number;
  data: Buffer;
}

export interface ArchiveState {
  /** Lines added in all (the next line's sequence number). */
  next: number;
  /** Lines in members (the first line not yet in one). */
  archived: number;
  members: number;
}

export class LogArchive {
  private state: ArchiveState = { next: 0, archived: 0, members: 0 };
  private plain = Buffer.allocUnsafe(16 * 1024);
  private used = 0;

  constructor(private readonly memberBytes: number) {}

  get counters(): ArchiveState {
    return { ...this.state };
  }

  /** Goes on from an earlier attempt: its counters, and its lines not yet in a member. */
  resume(state: ArchiveState, unarchived: Buffer): void {
    this.state = { ...state };
    this.used = 0;
    this.append(unarchived);
  }

  /** Adds sent batches, and returns the members they complete. */
  async add(batches: LineBatch[]): Promise<ArchiveMember[]> {
    const members: ArchiveMember[] = [];
    for (const batch of batches) {
      this.append(batch.bytes);
      this.state.next += batch.lines;
      if (this.used >= this.memberBytes) members.push(await this.cut());
    }
    return members;
  }

  /** The last member: the lines not yet in one (none when there are none). */
  async finish(): Promise<ArchiveMember[]> {
    return this.used > 0 ? [await this.cut()] : [];
  }

  private append(bytes: Buffer): void {
    if (this.used + bytes.length > this.plain.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.plain.length * 2, this.used + bytes.length, Math.min(this.memberBytes * 2, 1 << 20)));
      this.plain.copy(bigger, 0, 0, this.used);
      this.plain = bigger;
    }
    this.used += bytes.copy(this.plain, this.used);
  }

  private async cut(): Promise<ArchiveMember> {
    // gzip reads its input on another thread: the buffer is not touched until it is done.
    const data = await gzipAsync(this.plain.subarray(0, this.used));
    const member = { index: this.state.members, start: this.state.archived, data };
    this.state.members++;
    this.state.archived = this.state.next;
    this.used = 0;
    return member;
  }
}
