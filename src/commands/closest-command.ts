// "did you mean /approve?" — the nearest command word by edit distance (with transpositions, so
// "/aplpy" finds "apply"). Words are short and their length is capped, so this stays cheap even
// for a comment full of typos.

const MAX_WORD = 20;

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of `words` to `word`, if close enough to be a plausible typo; else undefined. */
export function closestWord(word: string, words: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length === 0 || w.length > MAX_WORD) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of words) {
    const distance = editDistance(w, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // One edit for short words, two for longer ones; also accept a prefix ("/app" → apply).
  const allowed = w.length <= 4 ? 1 : 2;
  if (best && bestDistance <= allowed) return best;
  const prefixed = words.find((c) => w.length >= 3 && c.startsWith(w));
  return prefixed;
}
