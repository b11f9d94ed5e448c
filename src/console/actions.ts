// What a person may do from the console (SPEC §8): release a lock, cancel a queued run. Each is
// audited with `via: "console"` and the person's login, and the pull request is told who did it.
// Who may do it (write permission) is decided by the page before it calls these.
import type { AuditRecorder } from "../audit/recorder.ts";
import { cancelQueuedJob } from "../queue/cancel-queued.ts";
import type { LockView, ReadModel, RunView } from "../server/read-model.ts";
import type { Queue } from "bullmq";
import type { Logger } from "pino";

export interface ConsoleActions {
  /** Asks the unlock job to release it (it audits and comments); null when not locked. */
  releaseLock(repo: { owner: string; name: string }, project: string, login: string): Promise<LockView | null>;
  /** Removes a run that has not started; null when it is not queued (any more). */
  cancelRun(run: RunView, login: string): Promise<boolean>;
}

export interface ConsoleActionDeps {
  read: ReadModel;
  queues: Queue[];
  audit: AuditRecorder;
  /** Comments on a pull request as the App (jobs do this for locks; here a cancelled run). */
  comment(repo: { owner: string; name: string }, pull: number, body: string): Promise<void>;
  log: Logger;
}

export class QueueConsoleActions implements ConsoleActions {
  constructor(private readonly d: ConsoleActionDeps) {}

  releaseLock(repo: { owner: string; name: string }, project: string, login: string): Promise<LockView | null> {
    return this.d.read.releaseLock(repo, project, login, "console");
  }

  async cancelRun(run: RunView, login: string): Promise<boolean> {
    if (!(await cancelQueuedJob(this.d.queues, run.id))) return false;
    const [owner, name] = (run.repo ?? "/").split("/") as [string, string];
    await this.d.audit.record({
      kind: "run.cancelled",
      actor: login,
      repo: run.repo ?? "",
      ...(run.pull !== undefined ? { pull: run.pull } : {}),
      ...(run.sha ? { sha: run.sha } : {}),
      via: "console",
      reason: `queued ${run.kind} cancelled from the console`,
    });
    if (run.pull !== undefined) {
      const at = run.sha ? ` at \`${run.sha.slice(0, 7)}\`` : "";
      await this.d
        .comment({ owner, name }, run.pull, `The queued ${run.kind}${at} was cancelled by @${login} from the Slipway console.`)
        .catch((err: Error) => this.d.log.warn({ err: err.message, run: run.id }, "could not tell the pull request about a cancelled run"));
    }
    return true;
  }
}
