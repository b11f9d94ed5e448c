// Reads Prometheus text exposition, enough for tests: one sample per line, labels as a record.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function valueOf(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** One key per series (name and labels), for counting and comparing series. */
export function seriesKeys(samples: Sample[], namePrefix = ""): Set<string> {
  return new Set(
    samples
      .filter((s) => s.name.startsWith(namePrefix))
      .map(
        (s) =>
          `${s.name}{${Object.entries(s.labels)
            .sort()
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(",")}}`,
      ),
  );
}
