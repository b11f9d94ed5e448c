// Secret redaction for step output (SPEC §6). Pure: the caller decides which env it runs with.

/**
 * Values shorter than this are never redacted: replacing "1", "on" or "dev" everywhere would
 * shred the output (every digit, every "on" in a word) while hiding nothing worth hiding — a
 * three-character secret offers no protection anyway.
 */
export const MIN_SECRET_LENGTH = 4;

export const REDACTED = "***";

/**
 * Names of secret environment variables: `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_KEY` (SPEC §6) —
 * suffixes matched case-insensitively, since over-redacting a lower-case `db_password` costs
 * nothing — plus the exact extra names (`SLIPWAY_SECRET_ENV`).
 */
export function secretNamesPattern(extraNames: readonly string[] = []): RegExp {
  const extra = extraNames.map((n) => n.trim()).filter((n) => n.length > 0);
  // Node 20 has no inline `(?i:)`, so the suffixes spell out both cases.
  const suffixes = ["TOKEN", "SECRET", "PASSWORD", "KEY"].map(anyCase).join("|");
  const alternatives = [`.+_(?:${suffixes})`, ...extra.map(escapeRegExp)];
  return new RegExp(`^(?:${alternatives.join("|")})$`);
}

/** The values of every secret variable in `env`, deduplicated, without too-short ones. */
export function secretValues(env: Record<string, string | undefined>, extraNames: readonly string[]): string[] {
  const pattern = secretNamesPattern(extraNames);
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && pattern.test(name)) values.add(value);
  }
  return [...values];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function anyCase(word: string): string {
  return [...word].map((c) => `[${c}${c.toLowerCase()}]`).join("");
}

/** A line redactor replacing each value anywhere in a line by `***`. */
export function createRedactor(values: readonly string[]): (line: string) => string {
  // Output is redacted line by line, so a multi-line secret (a PEM key) is hidden line by line.
  const pieces = values.flatMap((v) => v.split(/\r?\n/));
  // Longest first: when one secret contains another, the whole longer one must go, not leave a tail.
  const usable = [...new Set(pieces)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  if (usable.length === 0) return (line) => line;
  const pattern = new RegExp(usable.map(escapeRegExp).join("|"), "g");
  return (line) => line.replace(pattern, REDACTED);
}
