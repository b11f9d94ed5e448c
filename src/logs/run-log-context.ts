// The log of the run the current job belongs to. The worker opens it around a job (app.ts) and
// the runner writes each line to it (run-phase.ts); the layers in between (job routes, jobs,
// planProject) need not carry it. Outside a job there is none, and lines go nowhere else.
import { AsyncLocalStorage } from "node:async_hooks";
import type { RunLogSink } from "./run-log-writer.ts";

const current = new AsyncLocalStorage<RunLogSink>();

export function withRunLog<T>(sink: RunLogSink, run: () => Promise<T>): Promise<T> {
  return current.run(sink, run);
}

export function currentRunLog(): RunLogSink | undefined {
  return current.getStore();
}
