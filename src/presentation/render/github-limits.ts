// GitHub's size limits, and the one function that cuts text to fit them.
//
// How we count: every limit here is compared with JS `string.length`, i.e. UTF-16 code units.
// GitHub's error says "maximum is 65536 characters"; reports disagree on whether it counts code
// points or UTF-8 bytes (262,144 bytes has been measured on comments). UTF-16 code units are safe
// for both readings: a code point is 1 or 2 code units, so units >= code points; and a code unit
// carries at most 3 UTF-8 bytes (BMP) or 2 (half of a 4-byte astral pair), so 65,536 units are at
// most 196,608 bytes. Staying under the limit in code units therefore stays under it either way.

/** Body of an issue or pull-request comment ("Body is too long (maximum is 65536 characters)"). */
export const ISSUE_COMMENT_BODY_MAX = 65_536;
/**
 * Check run `output.title`. The REST schema documents no maximum; 255 is the limit commonly
 * reported for it and is plenty for a one-line title, so we keep to it.
 */
export const CHECK_RUN_TITLE_MAX = 255;
/** Check run `output.summary`: `maxLength: 65535` in GitHub's OpenAPI description. */
export const CHECK_RUN_SUMMARY_MAX = 65_535;
/** Check run `output.text`: `maxLength: 65535` in GitHub's OpenAPI description. */
export const CHECK_RUN_TEXT_MAX = 65_535;

export interface CutResult {
  text: string;
  cut: boolean;
}

/** Largest index <= `at` that does not split a UTF-16 surrogate pair. */
export function safeCutIndex(text: string, at: number): number {
  if (at <= 0) return 0;
  if (at >= text.length) return text.length;
  const before = text.charCodeAt(at - 1);
  // A high surrogate just before the cut would be left without its low half.
  return before >= 0xd800 && before <= 0xdbff ? at - 1 : at;
}

/** Cuts `text` to at most `maxChars` code units, never inside a surrogate pair. */
export function cutAtCharBoundary(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : text.slice(0, safeCutIndex(text, Math.max(0, maxChars)));
}

/**
 * Fits `text` into `maxChars`: unchanged when it fits; otherwise the longest run of whole lines
 * that leaves room for `note`, followed by `note`. A line is cut inside only when it alone is
 * longer than the room left (a minified blob, a progress bar without newlines): then the whole
 * lines before it are kept and it is cut at a character boundary and ended with a newline, so the
 * note always starts on its own line. The note counts toward the limit; the result is always
 * <= maxChars (when even the note does not fit, the note itself is cut).
 */
export function cutAtLineBoundary(text: string, maxChars: number, note: string): CutResult {
  if (text.length <= maxChars) return { text, cut: false };
  const room = maxChars - note.length;
  if (room <= 0) return { text: cutAtCharBoundary(note, Math.max(0, maxChars)), cut: true };
  // The last newline that still fits: everything up to and including it is whole lines.
  const lastNewline = text.lastIndexOf("\n", room - 1);
  const crossingStart = lastNewline + 1;
  const crossingEnd = text.indexOf("\n", crossingStart);
  const crossingLength = (crossingEnd < 0 ? text.length : crossingEnd + 1) - crossingStart;
  if (crossingLength <= room) return { text: text.slice(0, crossingStart) + note, cut: true };
  // The line crossing the limit could never fit whole: cut inside it, keeping one unit for "\n".
  const head = text.slice(0, safeCutIndex(text, room - 1));
  const ended = head.length > crossingStart ? head + "\n" : head;
  return { text: ended + note, cut: true };
}
