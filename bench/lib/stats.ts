// Order statistics and the small table every benchmark prints. Pure.

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A ratio rounded to two decimals, the precision the goals are stated in. */
export function ratio(a: number, b: number): number {
  return round(a / b, 2);
}

export function round(n: number, decimals = 1): number {
  const f = 10 ** decimals;
  return Math.round(n * f) / f;
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n >= 100 ? `${Math.round(n)} ms` : `${round(n, 1)} ms`;
}

export interface Table {
  title: string;
  headers: string[];
  rows: (string | number)[][];
  /** Lines printed under the table: what was measured and how. */
  notes?: string[];
}

export function formatTable(t: Table): string {
  const cells = [t.headers, ...t.rows.map((r) => r.map(String))];
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const out = [`## ${t.title}`, "", line(cells[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.slice(1).map(line)];
  if (t.notes?.length) out.push("", ...t.notes);
  return out.join("\n");
}

/** A progress line on stderr, so a long benchmark shows it is alive without mixing into the tables. */
export function progress(bench: string, message: string): void {
  process.stderr.write(`  [${bench} ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
