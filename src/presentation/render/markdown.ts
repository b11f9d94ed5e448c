// Small escaping helpers for the markdown GitHub renders. Names, dirs and reasons can come from a
// repository's config or a tool's output, so none of them may break a table, a tag or a fence.

import { cutAtCharBoundary } from "./github-limits.ts";

/** Text placed inside an HTML element such as `<summary>`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}

/** One line, no control or invisible format characters, at most `max` code units (with "…"). */
export function oneLine(text: string, max: number): string {
  const flat = text
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, " ")
    .replace(/ {2,}/g, " ")
    .trim();
  return flat.length <= max ? flat : cutAtCharBoundary(flat, max - 1) + "…";
}

/** An inline code span that survives backticks in `text` (CommonMark: a longer backtick run). */
export function inlineCode(text: string): string {
  const flat = oneLine(text, 300);
  if (flat === "") return "";
  const longest = longestRun(flat, "`");
  const ticks = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/**
 * Puts each @mention in a code span, where GitHub notifies nobody: a reply may name a user or an
 * approver team (`@acme/sre`), and a refusal must not page a whole team. Mentions already in a
 * code span, and addresses like `a@b.c`, are left alone.
 */
export function inertMentions(text: string): string {
  return text.replace(
    /(^|[^\w`@/.-])@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?)/g,
    (_, before: string, name: string) => `${before}\`@${name}\``,
  );
}

/** Text for a table cell: a pipe would start a new column, so it is escaped. */
export function tableCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** Longest run of `ch` anywhere in `text`; linear. */
export function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ch) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * The backtick fence for a code block holding `text`. Only a line made of backticks (up to three
 * spaces of indent, trailing blanks) can close a fence, so only such lines need a longer fence;
 * backticks inside a line are harmless. Linear in the text.
 */
export function fenceFor(text: string): string {
  let longest = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    let end = text.indexOf("\n", lineStart);
    if (end < 0) end = text.length;
    let i = lineStart;
    while (i < end && i - lineStart < 3 && text[i] === " ") i++;
    let run = 0;
    while (i < end && text[i] === "`") {
      run++;
      i++;
    }
    if (run >= 3) {
      while (i < end && (text[i] === " " || text[i] === "\t")) i++;
      if (i === end && run > longest) longest = run;
    }
    lineStart = end + 1;
  }
  return "`".repeat(Math.max(3, longest + 1));
}

/** Byte sizes as users read them: decimal units, one decimal place. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
