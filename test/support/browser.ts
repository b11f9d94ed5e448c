// Debian's Chromium driven by playwright-core (no browser download): headless, no sandbox (tests
// run as root), nothing that talks to the network on its own. `.ci/run` installs it with apt.
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM_PATH = process.env.SLIPWAY_TEST_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A fresh browser (playwright gives each launch its own new user-data-dir); close() removes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true, timeout: 60_000 });
}
