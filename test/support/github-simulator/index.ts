// Public entry of the GitHub Enterprise Server simulator used by integration and e2e tests.
export { startGitHubSimulator, type GitHubSimulator, type SimActivity, type SimulatorOptions } from "./simulator.ts";
export type { ApiCall, Violation } from "./api-dispatch.ts";
export type { Delivery, DeliveryResult } from "./webhook-sender.ts";
export type { GitRequestRecord } from "./git-http.ts";
export type { Permission } from "./state.ts";
export { Scenario, type PullInfo, type RepoInfo, type PullTarget, type Files } from "../scenario/scenario.ts";
export { waitFor, type WaitOptions } from "../scenario/wait-for.ts";
