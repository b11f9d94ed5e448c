// One end-to-end environment: the GitHub simulator plus Slipway as a child process pointed at it.
import { startGitHubSimulator, type GitHubSimulator } from "./github-simulator/index.ts";
import type { Scenario } from "./scenario/scenario.ts";
import { startSlipwayProcess, type SlipwayProcess, type StartOptions } from "./slipway-process.ts";

export interface E2E {
  sim: GitHubSimulator;
  gh: Scenario;
  slipway: SlipwayProcess;
  stop(): Promise<void>;
}

export async function startE2E(opts: StartOptions = {}): Promise<E2E> {
  const sim = await startGitHubSimulator();
  let slipway: SlipwayProcess;
  try {
    slipway = await startSlipwayProcess({ gheHost: sim.host, appId: sim.appId, privateKey: sim.privateKey, webhookSecret: sim.webhookSecret }, opts);
  } catch (err) {
    await sim.stop();
    throw err;
  }
  sim.setWebhookTarget(`${slipway.url}/api/github/webhooks`);
  return {
    sim,
    gh: sim.scenario,
    slipway,
    async stop() {
      await slipway.stop();
      await sim.stop();
    },
  };
}
