// Max-min fair sharing of a character budget: small needs are met in full, and what they leave
// is split evenly among the larger ones. So one project printing megabytes cannot push a
// neighbour's ten-line plan out of the comment.

/** Returns one allocation per need; each <= its need, and their sum <= max(0, available). */
export function shareFairly(needs: number[], available: number): number[] {
  const alloc = needs.map(() => 0);
  const order = needs.map((_, i) => i).sort((a, b) => needs[a]! - needs[b]!);
  let remaining = Math.max(0, Math.floor(available));
  let left = needs.length;
  for (const i of order) {
    const give = Math.min(Math.max(0, needs[i]!), Math.floor(remaining / left));
    alloc[i] = give;
    remaining -= give;
    left--;
  }
  return alloc;
}
