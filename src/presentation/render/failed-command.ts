// What the person who typed a command hears when its comment's job failed for good (its last
// attempt threw, or its workers kept dying: queue/final-failure.ts): which commands could not be
// completed, why (safe words only: domain/failure-reason.ts), that they may have been carried out
// in part — the job may have acted before it failed — and that commenting them again retries.
// Other event jobs (reviews, closes, the API's unlocks) answer nobody: they are only logged. Pure.
import type { Command } from "../../commands/command-types.ts";
import { parseCommands } from "../../commands/parse-commands.ts";
import type { EventIntent } from "../../domain/intent.ts";
import { commandLabel } from "../../policy/permissions.ts";
import { renderFailedCommand } from "./command-reply.ts";

export interface FailedCommandReply {
  /** The commands as typed (canonical form), for the reply and the audit trail. */
  commands: string[];
  body: string;
}

/**
 * The reply to post, or undefined when there is nobody to answer: not a comment, or a comment
 * whose lines only looked like commands (the job would have listed those; it failed, so it
 * cannot be told which were mistyped without the repository's configs).
 */
export function failedCommandReply(intent: EventIntent, reason: string): FailedCommandReply | undefined {
  if (intent.kind !== "comment") return undefined;
  // Without the repository's projects and environments: any plain name is taken as typed.
  const commands = parseCommands(intent.body).commands.map(commandText);
  if (commands.length === 0) return undefined;
  const on = intent.driftProject !== undefined || intent.releaseSha !== undefined ? "issue" : "pull request";
  return { commands, body: renderFailedCommand(commands, reason, on) };
}

/** `/unlock app web`: the label and its arguments, which the parser allows only as plain names. */
export function commandText(command: Command): string {
  const args = "projects" in command ? command.projects : "targets" in command ? command.targets : "environments" in command ? command.environments : [];
  return [commandLabel(command.kind), ...args].join(" ");
}
