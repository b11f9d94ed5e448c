// Pages from the templates in views/ (Eta, every `<%= %>` escaped), and the two static files.
// Both folders sit next to this file in src/ and in dist/ (`npm run build` copies them).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { FastifyReply } from "fastify";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const eta = new Eta({ views: here("./views"), autoEscape: true, cache: true, defaultExtension: ".eta" });

/** Served as /static/<name>: read once at start, a handful of kilobytes. */
export const STATIC_FILES: Record<string, { type: string; body: Buffer }> = {
  "console.css": { type: "text/css; charset=utf-8", body: readFileSync(here("./static/console.css")) },
  "live-log.js": { type: "text/javascript; charset=utf-8", body: readFileSync(here("./static/live-log.js")) },
};

/**
 * No inline script or style anywhere: the policy allows only this origin's files. `form-action`
 * stays 'self' because sign-in leaves by a redirect, not a form.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CONTENT_SECURITY_POLICY)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY")
    .header("cache-control", "no-store");
}

export interface PageData {
  title: string;
  /** The nav entry to mark as current. */
  nav?: "environments" | "locks" | "runs" | "audit";
  user?: { login: string; csrf: string };
  [key: string]: unknown;
}

export function sendPage(reply: FastifyReply, view: string, data: PageData, status = 200): FastifyReply {
  const html = eta.render(view, data);
  return securityHeaders(reply).code(status).type("text/html; charset=utf-8").send(html);
}
