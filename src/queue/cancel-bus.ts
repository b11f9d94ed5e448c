// Cancels running work across processes. BullMQ's own cancellation only reaches the process
// holding the job, and a push can land on any webhook server, so supersede notices go through
// Redis pub/sub to every worker; each aborts its local jobs for that pull request.
import type { RedisConnection } from "./redis.ts";
import type { Notice } from "../state/pull-head-store.ts";

interface HeadNotice {
  pull: string;
  /** The head that is now current: running jobs of any other head are superseded. */
  headSha: string;
}

type Listener = (notice: HeadNotice) => void;

export class CancelBus {
  private readonly listeners = new Set<Listener>();
  private subscribed = false;

  constructor(
    private readonly subscriber: RedisConnection | undefined,
    private readonly prefix: string,
  ) {}

  private get channel(): string {
    return `${this.prefix}:supersede`;
  }

  /** The notice that `headSha` is now current; PullHeadStore publishes it with the record. */
  noticeOf(pull: string, headSha: string): Notice {
    return { channel: this.channel, message: JSON.stringify({ pull, headSha } satisfies HeadNotice) };
  }

  /** Calls `listener` for every announced head; returns a function that stops listening. */
  async onHead(listener: Listener): Promise<() => void> {
    if (!this.subscriber) throw new Error("CancelBus was created without a subscriber connection");
    if (!this.subscribed) {
      this.subscribed = true;
      this.subscriber.on("message", (channel: string, message: string) => {
        if (channel !== this.channel) return;
        let notice: HeadNotice;
        try {
          notice = JSON.parse(message) as HeadNotice;
        } catch {
          return; // not ours: someone else published on the channel
        }
        for (const l of this.listeners) l(notice);
      });
      await this.subscriber.subscribe(this.channel);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
