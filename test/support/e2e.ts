// One end-to-end environment: the GitHub simulator plus Slipway as a child process pointed at it.
import { startGitHubSimulator, type GitHubSimulator } from "./github-simulator/index.ts";
import { waitIdle, type IdleOptions } from "./idle.ts";
import type { Scenario } from "./scenario/scenario.ts";
import { startSlipwayProcess, type SlipwayProcess, type StartOptions } from "./slipway-process.ts";

export interface E2E {
  sim: GitHubSimulator;
  gh: Scenario;
  slipway: SlipwayProcess;
  /** Resolves once nothing is left to happen: no request, webhook, intake entry or job in progress (idle.ts). */
  idle(opts?: IdleOptions): Promise<void>;
  stop(): Promise<void>;
}

export interface E2EOptions extends StartOptions {
  /** Settings that come from the simulator once it runs (the console's OAuth client id and secret). */
  envFromSimulator?: (sim: GitHubSimulator) => Record<string, string>;
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  const sim = await startGitHubSimulator();
  let slipway: SlipwayProcess;
  try {
    const env = { ...opts.env, ...opts.envFromSimulator?.(sim) };
    slipway = await startSlipwayProcess(
      { gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret },
      { ...opts, env },
    );
  } catch (err) {
    await sim.stop();
    throw err;
  }
  sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
  return {
    sim,
    gh: sim.scenario,
    slipway,
    idle: (idleOpts) => waitIdle({ sim, prefix: slipway.prefix, redisUrl: slipway.redisUrl, ...(slipway.redis ? { redis: slipway.redis } : {}) }, idleOpts),
    async stop() {
      await slipway.stop();
      await sim.stop();
    },
  };
}
