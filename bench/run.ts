// `npm run bench` runs every benchmark; `npm run bench -- NAME [NAME…]` runs those only.
// Each prints its table; together they update bench/results/latest.json and the figures in
// bench/README.md. Exit code 1 when a benchmark failed to run (a missed goal is a figure, not a failure).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ack } from "./ack.ts";
import { apiCalls } from "./api-calls.ts";
import { auditOverhead } from "./audit-overhead.ts";
import { bigOutput } from "./big-output.ts";
import { burst } from "./burst.ts";
import { consoleLatency } from "./console-latency.ts";
import { cpuPerPlan } from "./cpu-per-plan.ts";
import { updateReadme } from "./lib/readme-table.ts";
import { mergeResults } from "./lib/results-file.ts";
import { formatTable } from "./lib/stats.ts";
import { logLatency } from "./log-latency.ts";
import type { Bench, BenchResult } from "./lib/types.ts";
import { metricsScrape } from "./metrics-scrape.ts";
import { planOverhead } from "./plan-overhead.ts";
import { recovery } from "./recovery.ts";
import { scale } from "./scale.ts";
import { stepWatchdog } from "./step-watchdog.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCHES: Bench[] = [
  ack,
  planOverhead,
  cpuPerPlan,
  auditOverhead,
  apiCalls,
  burst,
  scale,
  bigOutput,
  metricsScrape,
  recovery,
  consoleLatency,
  logLatency,
  stepWatchdog,
];

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => a !== "--");
  if (asked.includes("--list") || asked.includes("--help")) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(14)} ${b.summary}`);
    return 0;
  }
  const unknown = asked.filter((a) => !BENCHES.some((b) => b.name === a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const chosen = asked.length > 0 ? BENCHES.filter((b) => asked.includes(b.name)) : BENCHES;
  const runs: { name: string; seconds: number; result?: BenchResult; error?: string }[] = [];
  const started = Date.now();
  for (const bench of chosen) {
    const t0 = Date.now();
    console.log(`\n▶ ${bench.name}: ${bench.summary}`);
    try {
      const result = await bench.run();
      const seconds = (Date.now() - t0) / 1000;
      runs.push({ name: bench.name, seconds, result });
      console.log(`\n${formatTable(result.table)}\n`);
      for (const g of result.goals) console.log(`  goal ${g.met ? "met   " : "MISSED"} ${g.what}: ${g.value} (target ${g.target})`);
      console.log(`  (${seconds.toFixed(0)} s)`);
    } catch (err) {
      const seconds = (Date.now() - t0) / 1000;
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      runs.push({ name: bench.name, seconds, error: err instanceof Error ? err.message : String(err) });
      console.error(`\n✗ ${bench.name} failed after ${seconds.toFixed(0)} s:\n${message}`);
    }
  }
  const file = await mergeResults(path.join(HERE, "results", "latest.json"), runs);
  const readme = await updateReadme(path.join(HERE, "README.md"), file);
  console.log(
    `\nwrote bench/results/latest.json${readme ? " and the figures in bench/README.md" : ""} — ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  return runs.some((r) => r.error) ? 1 : 0;
}

process.exitCode = await main();
