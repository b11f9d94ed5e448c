// The parts a benchmark runs: one GitHub simulator and Slipway processes pointed at it, on one
// Redis prefix of the benchmark's own. `stop()` ends every process started here, by pid, and
// deletes exactly the prefix's keys — call it in a finally.
import { randomBytes } from "node:crypto";
import { startGitHubSimulator, type GitHubSimulator, type SimulatorOptions } from "../../test/support/github-simulator/index.ts";
import { deleteKeysWithPrefix } from "../../test/support/redis.ts";
import { startSlipwayProcess, type SlipwayProcess, type StartOptions } from "../../test/support/slipway-process.ts";

export interface BenchStack {
  sim: GitHubSimulator;
  prefix: string;
  /**
   * Starts one more Slipway process on the stack's prefix, or on `<prefix>-<ownPrefix>` (a separate
   * installation of Slipway sharing the simulator); stopped, and its keys deleted, by `stop()`.
   */
  slipway(opts?: Omit<StartOptions, "prefix">, ownPrefix?: string): Promise<SlipwayProcess>;
  stop(): Promise<void>;
}

export async function startBenchStack(name: string, simOptions: SimulatorOptions = {}): Promise<BenchStack> {
  const prefix = `slipway-bench-${name}-${randomBytes(4).toString("hex")}`;
  const sim = await startGitHubSimulator(simOptions);
  const processes: SlipwayProcess[] = [];
  const prefixes = new Set([prefix]);
  const credentials = { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret };
  return {
    sim,
    prefix,
    async slipway(opts = {}, ownPrefix) {
      const its = ownPrefix === undefined ? prefix : `${prefix}-${ownPrefix}`;
      prefixes.add(its);
      const p = await startSlipwayProcess(credentials, { ...opts, prefix: its });
      processes.push(p);
      return p;
    },
    async stop() {
      // Stop the producer of webhooks first so nothing is posted to a process that is going away.
      sim.setWebhookTarget(undefined);
      const results = await Promise.allSettled(processes.map((p) => p.stop()));
      await sim.stop();
      for (const p of prefixes) await deleteKeysWithPrefix(p);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
