// Cancels running work across processes. BullMQ's own cancellation only reaches the process
// holding the job, and a push can land on any webhook server, so supersede notices go through
// Redis pub/sub to every worker; each aborts its local jobs for that pull request.
import type { Redis } from "ioredis";

interface Notice {
  pull: string;
  /** The head that is now current: running jobs of any other head are superseded. */
  headSha: string;
}

type Listener = (notice: Notice) => void;

export class CancelBus {
  private readonly listeners = new Set<Listener>();
  private subscribed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis | undefined,
    private readonly prefix: string,
  ) {}

  private get channel(): string {
    return `${this.prefix}:supersede`;
  }

  async announceHead(pull: string, headSha: string): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify({ pull, headSha } satisfies Notice));
  }

  /** Calls `listener` for every announced head; returns a function that stops listening. */
  async onHead(listener: Listener): Promise<() => void> {
    if (!this.subscriber) throw new Error("CancelBus was created without a subscriber connection");
    if (!this.subscribed) {
      this.subscribed = true;
      this.subscriber.on("message", (channel: string, message: string) => {
        if (channel !== this.channel) return;
        let notice: Notice;
        try {
          notice = JSON.parse(message) as Notice;
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
