// Keeps bench/README.md's "latest figures" section equal to bench/results/latest.json: the text
// between the two markers is replaced, everything else in the README is left as written.
import { readFile, writeFile } from "node:fs/promises";
import type { ResultsFile } from "./results-file.ts";
import { formatTable } from "./stats.ts";

const START = "<!-- bench:latest:start -->";
const END = "<!-- bench:latest:end -->";

export const ORDER = [
  "ack",
  "plan_overhead",
  "cpu_per_plan",
  "audit_overhead",
  "api_calls",
  "burst",
  "scale",
  "big_output",
  "metrics_scrape",
  "recovery",
  "console_p99_ratio",
  "log_latency",
  "step_watchdog",
];

export function renderLatest(file: ResultsFile): string {
  const m = file.machine;
  const out: string[] = [
    `Updated ${file.updated_at.slice(0, 16).replace("T", " ")} UTC (each table says when it ran), on ${m.cpus} cores (${m.cpu_model}), ${m.memory_gb} GB, Node ${m.node}, ${m.platform}.`,
    "",
    "| benchmark | goal | target | measured | met |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const name of ORDER) {
    const b = file.benchmarks[name];
    if (!b) continue;
    if (b.error) out.push(`| ${name} | last run failed: ${b.error.split("\n")[0]} | | | no |`);
    for (const g of b.goals) out.push(`| ${name} | ${g.what} | ${g.target} | ${g.value} | ${g.met ? "yes" : "**no**"} |`);
  }
  const keys = [
    "api_calls",
    "ack_p99_ratio",
    "ack_errors",
    "plan_overhead_ratio",
    "audit_overhead_ratio",
    "burst_plans",
    "scale_makespan_ratio",
    "big_output_rss_mb",
    "metrics_scrape_ms",
    "recovery_s",
    "console_p99_ratio",
    "log_latency_ms",
    "cpu_per_plan_ratio",
  ];
  out.push("", "`latest.json` headline keys: " + keys.map((k) => `\`${k}\` = ${file[k] ?? "–"}`).join(", ") + ".");
  for (const name of ORDER) {
    const b = file.benchmarks[name];
    if (b?.table.headers.length)
      out.push("", formatTable({ ...b.table, title: `${b.table.title} (${b.ran_at.slice(0, 10)}, ${Math.round(b.seconds)} s)` }).replace(/^## /, "### "));
  }
  return out.join("\n");
}

export async function updateReadme(path: string, file: ResultsFile): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return false;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  await writeFile(path, `${text.slice(0, a + START.length)}\n${renderLatest(file)}\n${text.slice(b)}`);
  return true;
}
