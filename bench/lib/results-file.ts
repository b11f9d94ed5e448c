// bench/results/latest.json: the headline keys the issue fixes at the top level, the goals and
// the details of each benchmark under its name. Running one benchmark replaces only its own
// part, so the file always holds the latest figure of every benchmark.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import type { BenchResult, Goal } from "./types.ts";
import type { Table } from "./stats.ts";

export interface BenchEntry {
  ran_at: string;
  seconds: number;
  goals: Goal[];
  table: Table;
  detail: Record<string, unknown>;
  error?: string;
}

export interface ResultsFile {
  updated_at: string;
  machine: Machine;
  [key: string]: unknown;
  benchmarks: Record<string, BenchEntry>;
}

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export async function readResults(path: string): Promise<ResultsFile | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as ResultsFile;
  } catch {
    return undefined;
  }
}

export async function mergeResults(path: string, runs: { name: string; seconds: number; result?: BenchResult; error?: string }[]): Promise<ResultsFile> {
  const previous = await readResults(path);
  const now = new Date().toISOString();
  const file: ResultsFile = { ...(previous ?? {}), updated_at: now, machine: machine(), benchmarks: { ...(previous?.benchmarks ?? {}) } };
  for (const r of runs) {
    if (r.result) {
      Object.assign(file, r.result.headline);
      file.benchmarks[r.name] = { ran_at: now, seconds: r.seconds, goals: r.result.goals, table: r.result.table, detail: r.result.detail };
    } else {
      const old = file.benchmarks[r.name];
      // A failed run keeps the last good figures but says it failed.
      file.benchmarks[r.name] = {
        ...(old ?? { goals: [], table: { title: r.name, headers: [], rows: [] }, detail: {} }),
        ran_at: now,
        seconds: r.seconds,
        error: r.error ?? "failed",
      };
    }
  }
  // The headline keys first, where a reader looks; the details after them.
  const { updated_at, machine: m, benchmarks, ...headline } = file;
  const ordered: ResultsFile = { updated_at, machine: m, ...headline, benchmarks };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(ordered, null, 2)}\n`);
  return ordered;
}
