// The Octokit class the webhook server gives Probot. Probot builds an authenticated client for
// every delivery's context — a new Octokit with all its plugins, about a tenth of the server's
// CPU under load — and intake never calls GitHub (workers have their own clients). So every
// context gets one shared client whose requests fail loudly instead.
import { Octokit } from "@octokit/core";
import type { ProbotOctokit } from "probot";

let shared: Octokit | undefined;

function noGitHubFromIntake() {
  const auth = async () => (shared ??= new IntakeOctokit());
  const hook = async () => {
    throw new Error("the webhook server makes no GitHub request; a worker does");
  };
  return Object.assign(auth, { hook });
}

const IntakeOctokit = Octokit.defaults({ authStrategy: noGitHubFromIntake });

/** Typed as Probot's class because Probot's option is; contexts only ever hold the shared client. */
export const intakeOctokit = IntakeOctokit as unknown as typeof ProbotOctokit;
