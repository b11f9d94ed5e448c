// Every operation the simulator implements, by GitHub operationId. A valid operation missing
// here answers 501 and is recorded as a violation, so a test notices Slipway needs it.
import type { Routes } from "./api-types.ts";
import { appRoutes } from "./handlers/app.ts";
import { checkRoutes } from "./handlers/checks.ts";
import { deploymentRoutes } from "./handlers/deployments.ts";
import { hookDeliveryRoutes } from "./handlers/hook-deliveries.ts";
import { issueRoutes } from "./handlers/issues.ts";
import { pullRoutes } from "./handlers/pulls.ts";
import { reactionRoutes } from "./handlers/reactions.ts";
import { repoRoutes } from "./handlers/repos.ts";
import { userInstallationRoutes } from "./handlers/user-installations.ts";
import { userTeamRoutes } from "./handlers/users-teams.ts";

export const routes: Routes = {
  ...appRoutes,
  ...repoRoutes,
  ...userTeamRoutes,
  ...pullRoutes,
  ...issueRoutes,
  ...reactionRoutes,
  ...checkRoutes,
  ...deploymentRoutes,
  ...hookDeliveryRoutes,
  ...userInstallationRoutes,
};
