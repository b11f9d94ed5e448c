// Records the decisions jobs carry out. A job calls it right after the effect happened (the plan
// was recorded, the apply ran, the lock was taken), so no event tells of something that did not.
// Free text is redacted with the step redactor: a reason may quote a step's output.
import type { Logger } from "pino";
import { normaliseInput, type AuditEvent, type AuditInput } from "./event.ts";

export interface AuditSink {
  append(input: AuditInput): Promise<AuditEvent>;
}

export interface AuditRecorder {
  record(input: AuditInput): Promise<void>;
}

export class RedisAuditRecorder implements AuditRecorder {
  constructor(
    private readonly sink: AuditSink,
    private readonly redact: (line: string) => string,
    private readonly log: Logger,
  ) {}

  /**
   * Never throws: the effect it tells of already happened, and failing the job now would retry
   * it (a plan twice) or report a done apply as failed. A lost event is logged whole instead,
   * so the log still holds the trail.
   */
  async record(input: AuditInput): Promise<void> {
    const event = normaliseInput(input, this.redact);
    try {
      await this.sink.append(event);
    } catch (err) {
      this.log.error({ audit: event, err: (err as Error).message }, "audit event not recorded");
    }
  }
}

/** Records nothing (tests of jobs that do not look at the trail). */
export const noAudit: AuditRecorder = { record: async () => {} };
