// The one place that reads process.env. Every setting is validated here, once, at start:
// a bad value stops the process with one line per problem instead of failing later in a job.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";

const ROLES = ["all", "server", "worker"] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const intFrom = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** One problem line for a value that is not an http(s) URL, however it fails. */
function httpUrl(name: string) {
  return z.string().refine((v) => /^https?:\/\/\S+$/.test(v) && URL.canParse(v), `${name} must be an http:// or https:// URL`);
}

const envSchema = z.object({
  APP_ID: z.string().regex(/^\d+$/, "APP_ID must be the GitHub App's numeric id").optional(),
  PRIVATE_KEY: z.string().optional(),
  PRIVATE_KEY_PATH: z.string().optional(),
  WEBHOOK_SECRET: z.string().optional(),
  GHE_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "GHE_HOST must be a host name with an optional port, without scheme or path")
    .optional(),
  GHE_PROTOCOL: z.enum(["http", "https"], { message: "GHE_PROTOCOL must be http or https" }).default("https"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://")
    .default("redis://127.0.0.1:6379"),
  REDIS_CLUSTER_NODES: z.string().optional(),
  REDIS_SENTINELS: z.string().optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^\S+$/, "REDIS_SENTINEL_NAME must be the name Sentinel monitors the primary under, without spaces").optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  PORT: intFrom("PORT", 0, 65535, 3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  SLIPWAY_ROLE: z.enum(ROLES, { message: `SLIPWAY_ROLE must be one of ${ROLES.join(", ")}` }).default("all"),
  SLIPWAY_CONCURRENCY: intFrom("SLIPWAY_CONCURRENCY", 1, 64, 2),
  // Absolute from here on: git runs with `-C <mirror>`, where a relative worktree path would land
  // inside the mirror instead of where Slipway looks for it.
  SLIPWAY_DATA_DIR: z
    .string()
    .min(1)
    .default("./.slipway")
    .transform((dir) => resolve(dir)),
  SLIPWAY_SECRET_ENV: z.string().default(""),
  SLIPWAY_STEP_TIMEOUT_SECONDS: intFrom("SLIPWAY_STEP_TIMEOUT_SECONDS", 1, 86_400, 3600),
  SLIPWAY_GITHUB_THROTTLE: z.enum(["on", "off"], { message: "SLIPWAY_GITHUB_THROTTLE must be on or off" }).optional(),
  SLIPWAY_JOB_LOCK_SECONDS: intFrom("SLIPWAY_JOB_LOCK_SECONDS", 2, 3600, 30),
  SLIPWAY_SHUTDOWN_GRACE_SECONDS: intFrom("SLIPWAY_SHUTDOWN_GRACE_SECONDS", 0, 86_400, 900),
  SLIPWAY_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "SLIPWAY_QUEUE_PREFIX may hold letters, digits, _ and - only")
    .default("slipway"),
  SLIPWAY_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, "SLIPWAY_METRICS_TOKEN must be 16 to 512 printable characters without spaces")
    .optional(),
  SLIPWAY_METRICS: z.enum(["on", "off"], { message: "SLIPWAY_METRICS must be on or off" }).default("on"),
  SLIPWAY_AUDIT: z.enum(["on", "off"], { message: "SLIPWAY_AUDIT must be on or off" }).default("on"),
  SLIPWAY_AUDIT_RETENTION_DAYS: intFrom("SLIPWAY_AUDIT_RETENTION_DAYS", 1, 3650, 30),
  SLIPWAY_AUDIT_MAX_EVENTS: intFrom("SLIPWAY_AUDIT_MAX_EVENTS", 1000, 100_000_000, 1_000_000),
  SLIPWAY_AUDIT_WEBHOOK_URL: httpUrl("SLIPWAY_AUDIT_WEBHOOK_URL").optional(),
  SLIPWAY_AUDIT_WEBHOOK_SECRET: z.string().min(16, "SLIPWAY_AUDIT_WEBHOOK_SECRET must be at least 16 characters").optional(),
  SLIPWAY_API_TOKEN: z
    .string()
    .regex(/^\S{16,}$/, "SLIPWAY_API_TOKEN must be at least 16 characters, without spaces (it is sent as a bearer token)")
    .optional(),
  SLIPWAY_PUBLIC_URL: httpUrl("SLIPWAY_PUBLIC_URL").optional(),
  SLIPWAY_REDELIVERY_INTERVAL_SECONDS: intFrom("SLIPWAY_REDELIVERY_INTERVAL_SECONDS", 0, 86_400, 300),
  GITHUB_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, "GITHUB_CLIENT_ID must be the App's client id (Iv1.… or Iv23…)")
    .optional(),
  GITHUB_CLIENT_SECRET: z
    .string()
    .regex(/^\S{8,200}$/, "GITHUB_CLIENT_SECRET must be the App's client secret, without spaces")
    .optional(),
  SLIPWAY_SESSION_SECRET: z.string().min(32, "SLIPWAY_SESSION_SECRET must be at least 32 characters").optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
});

export type Role = (typeof ROLES)[number];

export interface GitHubAppCredentials {
  appId: number;
  privateKey: string;
  webhookSecret: string;
}

export interface Settings {
  /** Absent when the app is not registered yet: `npm start` then serves the registration page. */
  app?: GitHubAppCredentials;
  /** `PROTOCOL://HOST` for git, `PROTOCOL://HOST/api/v3` for the API; github.com when GHE_HOST is unset. */
  githubBaseUrl: string;
  apiBaseUrl: string;
  redisUrl: string;
  /** Where Redis is: REDIS_URL, or a Cluster (REDIS_CLUSTER_NODES), or behind Sentinel (REDIS_SENTINELS). */
  redis: RedisTarget;
  port: number;
  host: string;
  role: Role;
  concurrency: number;
  dataDir: string;
  secretEnvNames: string[];
  stepTimeoutMs: number;
  /**
   * Space GitHub writes as github.com asks (1 s between writes, 3 s between new comments, per
   * installation). Off by default on GitHub Enterprise Server, where rate limits are off by default.
   */
  githubThrottle: boolean;
  /** How long a dead worker's job stays claimed before another worker notices it (BullMQ lock). */
  jobLockMs: number;
  /** On SIGTERM/SIGINT: how long running applies may go on before they are ended (src/queue/shutdown.ts). */
  shutdownGraceMs: number;
  /** Prefix of every Redis key Slipway writes: lets several installs (or test runs) share one Redis. */
  queuePrefix: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** SLIPWAY_METRICS: off records nothing, flushes nothing to Redis, and `GET /metrics` answers 404. */
  metricsEnabled: boolean;
  /** Bearer token `GET /metrics` asks for; open when absent. */
  metricsToken?: string;
  /**
   * SLIPWAY_AUDIT: off records no event, runs no export, and `GET /api/v1/audit` answers 404
   * saying the trail is off (events recorded before stay in Redis until their retention ends).
   */
  auditEnabled: boolean;
  /** The audit trail (SPEC §9): how long it is kept, its hard cap, and where it is exported. */
  audit: AuditSettings;
  /** Bearer token of `/api/v1`; absent: the API answers 401 to everyone. */
  apiToken?: string;
  /** Where people and GitHub reach this server (no trailing slash): OAuth callback, links to full logs. */
  publicUrl: string;
  /** The worker's own environment as steps see it: Slipway's credentials removed. */
  stepEnv: Record<string, string>;
  /** How often the missed-webhook scan runs (SPEC §10); 0: never. */
  redeliveryIntervalMs: number;
  /** The operations console (SPEC §8); absent until all three of its settings are set. */
  console?: ConsoleSettings;
}

export interface ConsoleSettings {
  /** GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET: the App's OAuth client, for "Sign in with GitHub". */
  clientId: string;
  clientSecret: string;
  /** SLIPWAY_SESSION_SECRET: the key the session cookie is sealed with. */
  sessionSecret: string;
}

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: "standalone"; url: string }
  | { kind: "cluster"; nodes: HostPort[]; password?: string }
  | { kind: "sentinel"; sentinels: HostPort[]; name: string; password?: string; sentinelPassword?: string };

export interface AuditSettings {
  retentionMs: number;
  /** Events kept per stream at most, whatever their age (XTRIM MAXLEN ~). */
  maxEvents: number;
  webhook?: { url: string; secret: string };
}

/**
 * Never handed to workflow steps: a pull request's code runs there, and with these it could act
 * as the app (private key, webhook secret) or write jobs straight into the queue (Redis URL).
 */
const SLIPWAY_OWN_VARIABLES = [
  "APP_ID",
  "PRIVATE_KEY",
  "PRIVATE_KEY_PATH",
  "WEBHOOK_SECRET",
  "REDIS_URL",
  "REDIS_CLUSTER_NODES",
  "REDIS_SENTINELS",
  "REDIS_SENTINEL_NAME",
  "REDIS_PASSWORD",
  "REDIS_SENTINEL_PASSWORD",
  "GITHUB_TOKEN",
  "SLIPWAY_METRICS_TOKEN",
  "SLIPWAY_API_TOKEN",
  "SLIPWAY_AUDIT_WEBHOOK_SECRET",
  "GITHUB_CLIENT_SECRET",
  "SLIPWAY_SESSION_SECRET",
];

/**
 * Loads `.env` from the working directory when there is one, as `docker compose` does with
 * `env_file`: `npm start` then runs from the same file. Variables already set win.
 */
export function loadDotEnv(file = ".env"): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: string[] };

export function readSettings(env: NodeJS.ProcessEnv = process.env): SettingsResult {
  // `NAME=` in a copied .env.example means "not set", not an empty value to validate.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => i.message) };
  }
  const e = parsed.data;
  const problems: string[] = [];

  const credentialNames = ["APP_ID", "WEBHOOK_SECRET"] as const;
  const given = credentialNames.filter((n) => e[n] !== undefined);
  const hasKey = e.PRIVATE_KEY !== undefined || e.PRIVATE_KEY_PATH !== undefined;
  let app: GitHubAppCredentials | undefined;
  if (given.length > 0 || hasKey) {
    for (const n of credentialNames) if (e[n] === undefined) problems.push(`${n} is required once any GitHub App credential is set`);
    const privateKey = loadPrivateKey(e.PRIVATE_KEY, e.PRIVATE_KEY_PATH, problems);
    if (problems.length === 0 && privateKey) {
      app = { appId: Number(e.APP_ID), privateKey, webhookSecret: e.WEBHOOK_SECRET! };
    }
  }
  if ((e.SLIPWAY_AUDIT_WEBHOOK_URL === undefined) !== (e.SLIPWAY_AUDIT_WEBHOOK_SECRET === undefined))
    problems.push("SLIPWAY_AUDIT_WEBHOOK_URL and SLIPWAY_AUDIT_WEBHOOK_SECRET go together: set both or neither");
  const consoleSettings = readConsoleSettings(e, problems);
  const redis = redisTarget(e, present.REDIS_URL !== undefined, problems);
  if (problems.length > 0 || !redis) return { ok: false, problems };

  const githubBaseUrl = e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}` : "https://github.com";
  const apiBaseUrl = e.GHE_HOST ? `${githubBaseUrl}/api/v3` : "https://api.github.com";
  return {
    ok: true,
    settings: {
      app,
      githubBaseUrl,
      apiBaseUrl,
      redisUrl: e.REDIS_URL,
      redis,
      port: e.PORT,
      host: e.HOST,
      role: e.SLIPWAY_ROLE,
      concurrency: e.SLIPWAY_CONCURRENCY,
      dataDir: e.SLIPWAY_DATA_DIR,
      secretEnvNames: e.SLIPWAY_SECRET_ENV.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      stepTimeoutMs: e.SLIPWAY_STEP_TIMEOUT_SECONDS * 1000,
      jobLockMs: e.SLIPWAY_JOB_LOCK_SECONDS * 1000,
      shutdownGraceMs: e.SLIPWAY_SHUTDOWN_GRACE_SECONDS * 1000,
      githubThrottle: (e.SLIPWAY_GITHUB_THROTTLE ?? (e.GHE_HOST ? "off" : "on")) === "on",
      queuePrefix: e.SLIPWAY_QUEUE_PREFIX,
      logLevel: e.LOG_LEVEL,
      metricsEnabled: e.SLIPWAY_METRICS === "on",
      auditEnabled: e.SLIPWAY_AUDIT === "on",
      ...(e.SLIPWAY_METRICS_TOKEN ? { metricsToken: e.SLIPWAY_METRICS_TOKEN } : {}),
      audit: {
        retentionMs: e.SLIPWAY_AUDIT_RETENTION_DAYS * 24 * 3600 * 1000,
        maxEvents: e.SLIPWAY_AUDIT_MAX_EVENTS,
        ...(e.SLIPWAY_AUDIT_WEBHOOK_URL && e.SLIPWAY_AUDIT_WEBHOOK_SECRET
          ? { webhook: { url: e.SLIPWAY_AUDIT_WEBHOOK_URL, secret: e.SLIPWAY_AUDIT_WEBHOOK_SECRET } }
          : {}),
      },
      ...(e.SLIPWAY_API_TOKEN ? { apiToken: e.SLIPWAY_API_TOKEN } : {}),
      publicUrl: (e.SLIPWAY_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
      stepEnv: stepEnvironment(env),
      redeliveryIntervalMs: e.SLIPWAY_REDELIVERY_INTERVAL_SECONDS * 1000,
      ...(consoleSettings ? { console: consoleSettings } : {}),
    },
  };
}

/** The console is on with all three settings, off with none; some of them is a mistake worth a line. */
function readConsoleSettings(
  e: { GITHUB_CLIENT_ID?: string | undefined; GITHUB_CLIENT_SECRET?: string | undefined; SLIPWAY_SESSION_SECRET?: string | undefined },
  problems: string[],
): ConsoleSettings | undefined {
  const names = ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SLIPWAY_SESSION_SECRET"] as const;
  const given = names.filter((n) => e[n] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < names.length) {
    problems.push(
      `the console needs GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and SLIPWAY_SESSION_SECRET together; missing: ${names.filter((n) => e[n] === undefined).join(", ")}`,
    );
    return undefined;
  }
  return { clientId: e.GITHUB_CLIENT_ID!, clientSecret: e.GITHUB_CLIENT_SECRET!, sessionSecret: e.SLIPWAY_SESSION_SECRET! };
}

type RedisEnv = Pick<
  z.infer<typeof envSchema>,
  "REDIS_URL" | "REDIS_CLUSTER_NODES" | "REDIS_SENTINELS" | "REDIS_SENTINEL_NAME" | "REDIS_PASSWORD" | "REDIS_SENTINEL_PASSWORD"
>;

/** One topology at a time; each problem is its own line. Undefined when there was a problem. */
function redisTarget(e: RedisEnv, urlGiven: boolean, problems: string[]): RedisTarget | undefined {
  const before = problems.length;
  const cluster = e.REDIS_CLUSTER_NODES;
  const sentinels = e.REDIS_SENTINELS;
  if (cluster !== undefined && sentinels !== undefined) problems.push("REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other: set one");
  for (const [name, given] of [
    ["REDIS_CLUSTER_NODES", cluster],
    ["REDIS_SENTINELS", sentinels],
  ] as const) {
    if (given !== undefined && urlGiven) problems.push(`REDIS_URL and ${name} exclude each other: set one`);
  }
  if (sentinels !== undefined && e.REDIS_SENTINEL_NAME === undefined)
    problems.push("REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the name of the primary Sentinel monitors");
  if (sentinels === undefined && e.REDIS_SENTINEL_NAME !== undefined) problems.push("REDIS_SENTINEL_NAME is only used with REDIS_SENTINELS");
  if (sentinels === undefined && e.REDIS_SENTINEL_PASSWORD !== undefined) problems.push("REDIS_SENTINEL_PASSWORD is only used with REDIS_SENTINELS");
  if (cluster === undefined && sentinels === undefined && e.REDIS_PASSWORD !== undefined)
    problems.push("REDIS_PASSWORD is for REDIS_CLUSTER_NODES or REDIS_SENTINELS; a single Redis takes its password in REDIS_URL");
  const clusterNodes = cluster === undefined ? [] : hostPorts("REDIS_CLUSTER_NODES", cluster, problems);
  const sentinelNodes = sentinels === undefined ? [] : hostPorts("REDIS_SENTINELS", sentinels, problems);
  if (problems.length > before) return undefined;
  const password = e.REDIS_PASSWORD !== undefined ? { password: e.REDIS_PASSWORD } : {};
  if (cluster !== undefined) return { kind: "cluster", nodes: clusterNodes, ...password };
  if (sentinels !== undefined)
    return {
      kind: "sentinel",
      sentinels: sentinelNodes,
      name: e.REDIS_SENTINEL_NAME!,
      ...password,
      ...(e.REDIS_SENTINEL_PASSWORD !== undefined ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
    };
  return { kind: "standalone", url: e.REDIS_URL };
}

/** `host:port,host:port`; an IPv6 address in brackets (`[::1]:6379`). One problem line per bad entry. */
function hostPorts(name: string, list: string, problems: string[]): HostPort[] {
  const out: HostPort[] = [];
  for (const entry of list.split(",").map((s) => s.trim())) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) {
      problems.push(`${name}: "${entry}" is not host:port (a port from 1 to 65535)`);
      continue;
    }
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ""), port });
  }
  return out;
}

function loadPrivateKey(inline: string | undefined, path: string | undefined, problems: string[]): string | undefined {
  if (inline !== undefined && path !== undefined) {
    problems.push("set PRIVATE_KEY or PRIVATE_KEY_PATH, not both");
    return undefined;
  }
  let pem = inline;
  if (path !== undefined) {
    try {
      pem = readFileSync(path, "utf8");
    } catch (err) {
      problems.push(`PRIVATE_KEY_PATH: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      return undefined;
    }
  }
  if (pem === undefined) {
    problems.push("PRIVATE_KEY or PRIVATE_KEY_PATH is required once any GitHub App credential is set");
    return undefined;
  }
  const normalised = normalisePem(pem);
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(normalised)) {
    problems.push("PRIVATE_KEY is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY----- or base64 of it)");
    return undefined;
  }
  return normalised;
}

/** Accepts a PEM as-is, with `\n` escapes (one-line .env files) or base64-encoded, as Probot does. */
function normalisePem(value: string): string {
  const trimmed = value.trim();
  if (trimmed.includes("-----BEGIN")) return trimmed.replace(/\\n/g, "\n");
  const decoded = Buffer.from(trimmed, "base64").toString("utf8");
  return decoded.includes("-----BEGIN") ? decoded : trimmed;
}

function stepEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !SLIPWAY_OWN_VARIABLES.includes(k)) out[k] = v;
  }
  return out;
}
