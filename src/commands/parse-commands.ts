// PR comment → commands and refusals. Pure, linear in the comment, bounded in what it returns:
// a hostile comment (megabytes, thousands of lines, odd unicode, shell syntax) yields at most
// MAX_COMMANDS commands and MAX_ERRORS + 1 errors, and no argument that is not a plain name.

import { closestWord } from "./closest-command.ts";
import { commentLines } from "./comment-lines.ts";
import type { Command, CommandError, CommandErrorCode, ParseOptions, ParsedComment } from "./command-types.ts";
import { COMMAND_WORDS, build, specFor } from "./grammar.ts";
import { NAME_RULE, classifyLine, describeChar, nameProblem } from "./tokenize.ts";

export const MAX_COMMANDS = 10;
export const MAX_ERRORS = 10;
const MAX_ARGUMENTS = 50;
/** GitHub caps comments at 65,536 characters; anything far beyond is not a real comment. */
const MAX_BODY_CHARS = 262_144;
const MAX_LINE_CHARS = 1_000;
const SHOWN_TEXT = 200;

const isOurs = (word: string) => COMMAND_WORDS.includes(word);
const validList = () => COMMAND_WORDS.map((w) => `\`/${w}\``).join(", ");
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function shown(text: string): string {
  const t = text.trim();
  if (t.length <= SHOWN_TEXT) return t;
  // Do not split a surrogate pair when shortening.
  const cut = /[\uD800-\uDBFF]/.test(t[SHOWN_TEXT - 1]!) ? SHOWN_TEXT - 1 : SHOWN_TEXT;
  return `${t.slice(0, cut)}…`;
}

class Collector {
  readonly commands: Command[] = [];
  readonly errors: CommandError[] = [];
  private seen = new Set<string>();
  private listed = 0;
  private extraErrors = 0;
  private firstExtraLine = 0;

  error(line: number, text: string, code: CommandErrorCode, reason: () => string, suggestion?: string): void {
    // Errors about the comment as a whole are always reported; per-line ones are capped.
    const whole = code === "too_many_commands" || code === "comment_too_long";
    if (!whole && this.listed >= MAX_ERRORS) {
      if (this.extraErrors++ === 0) this.firstExtraLine = line;
      return;
    }
    const e: CommandError = { line, text: shown(text), reason: reason(), code };
    if (suggestion) e.suggestion = suggestion;
    if (!whole) this.listed++;
    this.errors.push(e);
  }

  /** Identical commands in one comment run once. */
  command(c: Command): void {
    const key = JSON.stringify(c);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.commands.push(c);
  }

  finish(): ParsedComment {
    if (this.extraErrors > 0) {
      this.errors.push({
        line: this.firstExtraLine,
        text: "",
        code: "too_many_errors",
        reason: `${this.extraErrors} more problem${this.extraErrors === 1 ? "" : "s"} from line ${this.firstExtraLine} on are not listed; fix the ones above first.`,
      });
    }
    return { commands: this.commands, errors: this.errors };
  }
}

export function parseCommands(body: string, opts: ParseOptions = {}): ParsedComment {
  const out = new Collector();
  let text = body;
  if (text.length > MAX_BODY_CHARS) {
    text = text.slice(0, MAX_BODY_CHARS);
    out.error(1, "", "comment_too_long", () => `the comment is longer than ${MAX_BODY_CHARS} characters; only its beginning was read.`);
  }
  let commandLines = 0;
  let overLimitFrom = 0;
  let overLimit = 0;
  for (const { number, text: line } of commentLines(text)) {
    if (line.length > MAX_LINE_CHARS) {
      // Look only at the start of a long line: enough to tell a command from prose.
      const shape = classifyLine(line.slice(0, 64), isOurs);
      if (shape.kind === "command" || shape.kind === "glued") {
        out.error(number, line, "line_too_long", () => `a command line is at most ${MAX_LINE_CHARS} characters long.`);
      }
      continue;
    }
    const shape = classifyLine(line, isOurs);
    if (shape.kind === "prose") continue;
    if (shape.kind === "glued") {
      out.error(number, line, "bad_syntax", () => `\`/${shape.word}\` must be followed by a space or the end of the line, not ${describeChar(shape.next)}.`);
      continue;
    }
    if (shape.kind === "lookalike") {
      out.error(
        number,
        line,
        "lookalike_slash",
        () =>
          `this looks like \`/${shape.word}\` but starts with ${[...shape.prefix]
            .filter((c) => c !== "/")
            .map(describeChar)
            .join(", ")}; type it with a plain \`/\` at the start of the line.`,
      );
      continue;
    }
    commandLines++;
    if (commandLines > MAX_COMMANDS) {
      if (overLimit++ === 0) overLimitFrom = number;
      continue;
    }
    handleCommand(out, number, line, shape.word, shape.args, opts);
  }
  if (overLimit > 0) {
    out.error(
      overLimitFrom,
      "",
      "too_many_commands",
      () => `at most ${MAX_COMMANDS} commands per comment; the ${overLimit} from line ${overLimitFrom} on were not run. Post them in another comment.`,
    );
  }
  return out.finish();
}

function handleCommand(out: Collector, line: number, text: string, word: string, args: string[], opts: ParseOptions): void {
  if (!isOurs(word)) {
    const guess = closestWord(word, COMMAND_WORDS);
    out.error(
      line,
      text,
      "unknown_command",
      () => `unknown command \`/${word}\`${guess ? `; did you mean \`/${guess}\`?` : "."} Commands: ${validList()}.`,
      guess,
    );
    return;
  }
  if (args.length > MAX_ARGUMENTS) {
    out.error(line, text, "too_many_arguments", () => `\`/${word}\` takes at most ${MAX_ARGUMENTS} names.`);
    return;
  }
  if (specFor(word)?.args === "none" && args.length > 0) {
    out.error(line, text, "unexpected_arguments", () => `\`/${word}\` takes no arguments; write \`/${word}\` alone on its line.`);
    return;
  }
  const problems = [...new Set(args.map(nameProblem).filter((p): p is string => p !== null))];
  if (problems.length > 0) {
    out.error(line, text, "bad_argument", () => `\`/${word}\` not run: ${problems.slice(0, 3).join("; ")}. ${capitalise(NAME_RULE)}.`);
    return;
  }
  const unique = [...new Set(args)];
  const built = build(word, unique, opts);
  if (built.ok) out.command(built.command);
  else out.error(line, text, built.code, () => `\`/${word}\` not run: ${built.reason}`);
}
