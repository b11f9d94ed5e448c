// Reads one comment line: is it a command, and if so its word and argument tokens.
//
// What counts as a command: after optional leading whitespace, a `/` directly followed by a
// command-like word (ASCII letters, `-`, `_`) that ends at whitespace or the end of the line.
// Everything else is prose and ignored: `/usr/bin/env`, `/ something`, `//`, `/42`, and a
// `/word.` or `/word:` glued to punctuation — unless the word is one of ours (`/plan.`), which
// gets an error so a user who meant it learns why nothing happened. Lookalike slashes (fullwidth
// `／`, division slash…) or invisible characters before `/` in front of one of our words are also
// reported rather than silently ignored or silently accepted.

// Any letter, not only ASCII: `/plаn` with a Cyrillic "а" reads as /plan to its author, so it
// must be answered ("did you mean /plan?"), not passed over as prose.
const WORD_CHAR = /[\p{L}\p{M}_-]/u;
// Slashes that render like `/` but are other code points.
const LOOKALIKE_SLASHES = new Set(["\uFF0F", "\u2215", "\u2044", "\u29F8", "\u2571"]);
const INVISIBLE = /^[\p{Cf}\s]+/u;

export type LineShape =
  | { kind: "prose" }
  | { kind: "command"; word: string; args: string[] }
  | { kind: "glued"; word: string; next: string }
  | { kind: "lookalike"; word: string; prefix: string };

function readWord(text: string, from: number): string {
  let i = from;
  while (i < text.length && i - from <= 40 && WORD_CHAR.test(text[i]!)) i++;
  return text.slice(from, i);
}

function isSpace(ch: string | undefined): boolean {
  return ch === undefined || /\s/.test(ch);
}

/** `isOurs(word)` says whether a lower-cased word is a Slipway command word. */
export function classifyLine(line: string, isOurs: (word: string) => boolean): LineShape {
  const text = line.trimStart();
  if (text.startsWith("/")) {
    const word = readWord(text, 1);
    if (word === "") return { kind: "prose" };
    const next = text[1 + word.length];
    const lower = word.toLowerCase();
    if (!isSpace(next)) return isOurs(lower) ? { kind: "glued", word: lower, next: next! } : { kind: "prose" };
    const rest = text.slice(1 + word.length).trim();
    return { kind: "command", word: lower, args: rest === "" ? [] : rest.split(/\s+/) };
  }
  // Not a plain `/`: look past invisible characters and lookalike slashes, for our words only.
  const prefix = INVISIBLE.exec(text)?.[0] ?? "";
  const afterInvisible = text.slice(prefix.length);
  const first = afterInvisible[0];
  if (first === undefined) return { kind: "prose" };
  if (first !== "/" && !LOOKALIKE_SLASHES.has(first)) return { kind: "prose" };
  if (first === "/" && prefix === "") return { kind: "prose" };
  const word = readWord(afterInvisible, 1).toLowerCase();
  if (word === "" || !isOurs(word) || !isSpace(afterInvisible[1 + word.length])) return { kind: "prose" };
  return { kind: "lookalike", word, prefix: prefix + first };
}

const NAME = /^[A-Za-z0-9._/-]{1,100}$/;

/** Describes a character for a reply: printable ASCII as itself, anything else by code point. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  if (cp >= 0x21 && cp <= 0x7e) return ch === "`" ? "`` ` ``" : `\`${ch}\``;
  if (/[\p{Cf}\p{Cc}\p{Z}]/u.test(ch)) return `the invisible character ${hex}`;
  return `${hex} (${ch})`;
}

/** The rule every name argument follows, for replies. */
export const NAME_RULE = "names contain only letters, digits, `.`, `_`, `/` and `-`, and are at most 100 characters long";

/**
 * Why `token` is not a plausible name (a short phrase), or null when it is. Names match
 * NAME_RULE; they may not start with `-` (a tool would read it as an option) nor be `.` or `..`.
 */
export function nameProblem(token: string): string | null {
  if (NAME.test(token)) {
    if (token.startsWith("-")) return `\`${token}\` starts with \`-\``;
    if (/^\.+$/.test(token)) return `\`${token}\` is not a name`;
    return null;
  }
  for (const ch of token) {
    if (!/[A-Za-z0-9._/-]/.test(ch)) return `${describeChar(ch)} is not allowed`;
  }
  return "a name is too long";
}
