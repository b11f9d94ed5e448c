// What a PR comment asks Slipway to do, after parsing. Plain data: these go into queued jobs.

export type Command =
  | { kind: "plan"; projects: string[] }
  | { kind: "apply"; targets: string[] }
  | { kind: "approve"; environments: string[] }
  | { kind: "approve_cancel" }
  | { kind: "unlock"; projects: string[] }
  | { kind: "rollback" }
  | { kind: "help" };

export type CommandKind = Command["kind"];

/** Stable codes, so callers can decide what deserves a reply (e.g. stay quiet on another bot's command). */
export type CommandErrorCode =
  | "unknown_command"
  | "unexpected_arguments"
  | "bad_argument"
  | "unknown_project"
  | "unknown_environment"
  | "mixed_targets"
  | "bad_syntax"
  | "lookalike_slash"
  | "line_too_long"
  | "too_many_arguments"
  | "too_many_commands"
  | "too_many_errors"
  | "comment_too_long";

export interface CommandError {
  /** 1-based line of the comment. */
  line: number;
  /** The offending line, trimmed and bounded; raw user text (the renderer escapes it). */
  text: string;
  /** What was wrong and what to do instead, for a human. */
  reason: string;
  code: CommandErrorCode;
  /** For `unknown_command`: the command the user probably meant, e.g. "approve". */
  suggestion?: string;
}

export interface ParsedComment {
  commands: Command[];
  errors: CommandError[];
}

export interface ParseOptions {
  /** When given, project arguments must be one of these. */
  knownProjects?: string[];
  /** When given, environment arguments must be one of these. */
  knownEnvironments?: string[];
}
