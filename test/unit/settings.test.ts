import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { test } from "node:test";
import { readSettings } from "../../src/settings.ts";

const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

test("defaults follow SPEC §2 when nothing is set", () => {
  const r = readSettings({});
  assert.ok(r.ok);
  const s = r.settings;
  assert.equal(s.app, undefined, "no credentials means registration mode");
  assert.equal(s.redisUrl, "redis://127.0.0.1:6379");
  assert.equal(s.port, 3000);
  assert.equal(s.host, "0.0.0.0");
  assert.equal(s.role, "all");
  assert.equal(s.concurrency, 2);
  assert.equal(s.dataDir, path.resolve(".slipway"), "absolute: git runs in the mirror, where a relative path would point elsewhere");
  assert.equal(s.apiBaseUrl, "https://api.github.com");
  assert.equal(s.githubBaseUrl, "https://github.com");
});

test("GHE_HOST and GHE_PROTOCOL derive every GitHub URL", () => {
  const r = readSettings({ GHE_HOST: "127.0.0.1:4567", GHE_PROTOCOL: "http" });
  assert.ok(r.ok);
  assert.equal(r.settings.apiBaseUrl, "http://127.0.0.1:4567/api/v3");
  assert.equal(r.settings.githubBaseUrl, "http://127.0.0.1:4567");
});

test("credentials: PEM with \\n escapes and base64 are accepted", () => {
  for (const key of [pem.replace(/\n/g, "\\n"), Buffer.from(pem).toString("base64")]) {
    const r = readSettings({ APP_ID: "12", PRIVATE_KEY: key, WEBHOOK_SECRET: "s" });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.equal(r.settings.app?.appId, 12);
    assert.match(r.settings.app!.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  }
});

test("every invalid setting is reported, one line each", () => {
  const r = readSettings({ PORT: "http", SLIPWAY_ROLE: "boss", SLIPWAY_CONCURRENCY: "0", REDIS_URL: "localhost:6379", GHE_HOST: "https://ghe.example.com/" });
  assert.equal(r.ok, false);
  const problems = (r as { problems: string[] }).problems;
  assert.equal(problems.length, 5, problems.join("\n"));
  for (const name of ["PORT", "SLIPWAY_ROLE", "SLIPWAY_CONCURRENCY", "REDIS_URL", "GHE_HOST"]) {
    assert.ok(
      problems.some((p) => p.includes(name)),
      `a line names ${name}`,
    );
  }
  for (const p of problems) assert.doesNotMatch(p, /\n/);
});

test("partial credentials name what is missing", () => {
  const r = readSettings({ APP_ID: "12" });
  assert.equal(r.ok, false);
  const problems = (r as { problems: string[] }).problems;
  assert.ok(problems.some((p) => p.startsWith("WEBHOOK_SECRET")));
  assert.ok(problems.some((p) => p.includes("PRIVATE_KEY")));
});

test("a key that is not a PEM is refused without echoing it", () => {
  const r = readSettings({ APP_ID: "1", PRIVATE_KEY: "hunter2-not-a-key", WEBHOOK_SECRET: "x" });
  assert.equal(r.ok, false);
  assert.ok(!(r as { problems: string[] }).problems.join(" ").includes("hunter2"));
});

test("steps never see Slipway's own credentials or the Redis URL", () => {
  const r = readSettings({ APP_ID: "1", PRIVATE_KEY: pem, WEBHOOK_SECRET: "x", REDIS_URL: "redis://h:1", AWS_REGION: "eu-west-1" });
  assert.ok(r.ok);
  const env = r.settings.stepEnv;
  assert.equal(env.AWS_REGION, "eu-west-1");
  for (const k of ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "REDIS_URL"]) assert.equal(env[k], undefined, k);
});

test("SLIPWAY_SECRET_ENV is split on commas", () => {
  const r = readSettings({ SLIPWAY_SECRET_ENV: " DB_URL, VAULT_ADDR ,," });
  assert.ok(r.ok);
  assert.deepEqual(r.settings.secretEnvNames, ["DB_URL", "VAULT_ADDR"]);
});

test("GitHub write spacing is on for github.com and off for Enterprise Server unless set", () => {
  const dotCom = readSettings({});
  const ghes = readSettings({ GHE_HOST: "ghe.example.com" });
  const forced = readSettings({ GHE_HOST: "ghe.example.com", SLIPWAY_GITHUB_THROTTLE: "on" });
  assert.ok(dotCom.ok && ghes.ok && forced.ok);
  assert.equal(dotCom.settings.githubThrottle, true);
  assert.equal(ghes.settings.githubThrottle, false);
  assert.equal(forced.settings.githubThrottle, true);
  assert.equal(readSettings({ SLIPWAY_GITHUB_THROTTLE: "maybe" }).ok, false);
});

test("empty values, as in a freshly copied .env.example, count as not set", () => {
  const r = readSettings({ APP_ID: "", PRIVATE_KEY: "", WEBHOOK_SECRET: "", PORT: "", SLIPWAY_SECRET_ENV: "" });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.equal(r.settings.app, undefined, "registration mode");
  assert.equal(r.settings.port, 3000);
});

test("SLIPWAY_METRICS_TOKEN: absent leaves /metrics open; a short or spaced one is refused; never given to steps", () => {
  const open = readSettings({});
  assert.ok(open.ok);
  assert.equal(open.settings.metricsToken, undefined);
  const set = readSettings({ SLIPWAY_METRICS_TOKEN: "s3cret-metrics-token-0123" });
  assert.ok(set.ok);
  assert.equal(set.settings.metricsToken, "s3cret-metrics-token-0123");
  assert.equal(set.settings.stepEnv.SLIPWAY_METRICS_TOKEN, undefined);
  for (const bad of ["short", "has a space in the token value"]) {
    const r = readSettings({ SLIPWAY_METRICS_TOKEN: bad });
    assert.ok(!r.ok);
    assert.match(r.problems.join("\n"), /SLIPWAY_METRICS_TOKEN must be 16 to 512 printable characters/);
  }
});

test("audit and API settings: defaults, and one line per bad value", () => {
  const d = readSettings({});
  assert.ok(d.ok);
  assert.equal(d.settings.audit.retentionMs, 30 * 24 * 3600 * 1000);
  assert.equal(d.settings.audit.webhook, undefined);
  assert.equal(d.settings.apiToken, undefined);
  const set = readSettings({
    SLIPWAY_AUDIT_RETENTION_DAYS: "7",
    SLIPWAY_AUDIT_WEBHOOK_URL: "https://audit.example.com/hook",
    SLIPWAY_AUDIT_WEBHOOK_SECRET: "0123456789abcdef",
    SLIPWAY_API_TOKEN: "tok-0123456789abcdef",
  });
  assert.ok(set.ok);
  assert.equal(set.settings.audit.retentionMs, 7 * 24 * 3600 * 1000);
  assert.deepEqual(set.settings.audit.webhook, { url: "https://audit.example.com/hook", secret: "0123456789abcdef" });
  assert.equal(set.settings.apiToken, "tok-0123456789abcdef");
  assert.equal(set.settings.stepEnv.SLIPWAY_API_TOKEN, undefined, "steps never see the API token");
  assert.equal(set.settings.stepEnv.SLIPWAY_AUDIT_WEBHOOK_SECRET, undefined);

  const bad = readSettings({ SLIPWAY_AUDIT_RETENTION_DAYS: "0", SLIPWAY_AUDIT_WEBHOOK_URL: "ftp://x", SLIPWAY_API_TOKEN: "short" });
  assert.ok(!bad.ok);
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems.join("\n"), /SLIPWAY_AUDIT_RETENTION_DAYS must be a whole number from 1 to 3650/);
  assert.match(bad.problems.join("\n"), /SLIPWAY_AUDIT_WEBHOOK_URL must be an http/);
  assert.match(bad.problems.join("\n"), /SLIPWAY_API_TOKEN must be at least 16/);
  const half = readSettings({ SLIPWAY_AUDIT_WEBHOOK_URL: "https://x.example/h" });
  assert.ok(!half.ok);
  assert.deepEqual(half.problems, ["SLIPWAY_AUDIT_WEBHOOK_URL and SLIPWAY_AUDIT_WEBHOOK_SECRET go together: set both or neither"]);
});

test("SLIPWAY_AUDIT and SLIPWAY_METRICS: on by default, off when asked, one line each for anything else", () => {
  const defaults = readSettings({});
  assert.ok(defaults.ok);
  assert.equal(defaults.settings.auditEnabled, true);
  assert.equal(defaults.settings.metricsEnabled, true);

  const off = readSettings({ SLIPWAY_AUDIT: "off", SLIPWAY_METRICS: "off" });
  assert.ok(off.ok, JSON.stringify(!off.ok && off.problems));
  assert.equal(off.settings.auditEnabled, false);
  assert.equal(off.settings.metricsEnabled, false);

  const on = readSettings({ SLIPWAY_AUDIT: "on", SLIPWAY_METRICS: "on" });
  assert.ok(on.ok);
  assert.equal(on.settings.auditEnabled, true);
  assert.equal(on.settings.metricsEnabled, true);

  const blank = readSettings({ SLIPWAY_AUDIT: "", SLIPWAY_METRICS: " " });
  assert.ok(blank.ok, "empty, as in a copied .env.example, means the default");
  assert.equal(blank.settings.auditEnabled, true);
  assert.equal(blank.settings.metricsEnabled, true);

  const bad = readSettings({ SLIPWAY_AUDIT: "false", SLIPWAY_METRICS: "1" });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.sort(), ["SLIPWAY_AUDIT must be on or off", "SLIPWAY_METRICS must be on or off"]);
});

test("SLIPWAY_PUBLIC_URL: defaults to localhost on PORT, loses a trailing slash, refuses what is not a URL", () => {
  const d = readSettings({ PORT: "8080" });
  assert.ok(d.ok);
  assert.equal(d.settings.publicUrl, "http://localhost:8080");
  const set = readSettings({ SLIPWAY_PUBLIC_URL: "https://slipway.example.com/" });
  assert.ok(set.ok);
  assert.equal(set.settings.publicUrl, "https://slipway.example.com");
  const bad = readSettings({ SLIPWAY_PUBLIC_URL: "slipway.example.com" });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, ["SLIPWAY_PUBLIC_URL must be an http:// or https:// URL"]);
});

test("SLIPWAY_REDELIVERY_INTERVAL_SECONDS: 300 by default, 0 turns the scan off, anything else whole seconds", () => {
  const d = readSettings({});
  assert.ok(d.ok);
  assert.equal(d.settings.redeliveryIntervalMs, 300_000);
  const off = readSettings({ SLIPWAY_REDELIVERY_INTERVAL_SECONDS: "0" });
  assert.ok(off.ok);
  assert.equal(off.settings.redeliveryIntervalMs, 0);
  const bad = readSettings({ SLIPWAY_REDELIVERY_INTERVAL_SECONDS: "5m" });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, ['SLIPWAY_REDELIVERY_INTERVAL_SECONDS must be a whole number from 0 to 86400, got "5m"']);
});

test("the console: on with its three settings, off with none, one line for each mistake", () => {
  const secret = "s".repeat(32);
  const off = readSettings({});
  assert.ok(off.ok);
  assert.equal(off.settings.console, undefined);
  const on = readSettings({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "0123456789abcdef", SLIPWAY_SESSION_SECRET: secret });
  assert.ok(on.ok);
  assert.deepEqual(on.settings.console, { clientId: "Iv1.abc", clientSecret: "0123456789abcdef", sessionSecret: secret });
  assert.ok(!("GITHUB_CLIENT_SECRET" in on.settings.stepEnv) && !("SLIPWAY_SESSION_SECRET" in on.settings.stepEnv));
  const short = readSettings({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "0123456789abcdef", SLIPWAY_SESSION_SECRET: "too short" });
  assert.ok(!short.ok);
  assert.deepEqual(short.problems, ["SLIPWAY_SESSION_SECRET must be at least 32 characters"]);
  const partial = readSettings({ GITHUB_CLIENT_ID: "Iv1.abc" });
  assert.ok(!partial.ok);
  assert.deepEqual(partial.problems, [
    "the console needs GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and SLIPWAY_SESSION_SECRET together; missing: GITHUB_CLIENT_SECRET, SLIPWAY_SESSION_SECRET",
  ]);
});

test("SLIPWAY_SHUTDOWN_GRACE_SECONDS: 900 s by default, 0 allowed, a bad value is one clear line", () => {
  const byDefault = readSettings({});
  assert.ok(byDefault.ok);
  assert.equal(byDefault.settings.shutdownGraceMs, 900_000);
  const none = readSettings({ SLIPWAY_SHUTDOWN_GRACE_SECONDS: "0" });
  assert.ok(none.ok);
  assert.equal(none.settings.shutdownGraceMs, 0, "0: applies are cut short at once");
  const bad = readSettings({ SLIPWAY_SHUTDOWN_GRACE_SECONDS: "15m" });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, ['SLIPWAY_SHUTDOWN_GRACE_SECONDS must be a whole number from 0 to 86400, got "15m"']);
});

test("Redis topology: REDIS_URL by default, a Cluster or Sentinel when asked; never given to steps", () => {
  const standalone = readSettings({ REDIS_URL: "redis://:pw@cache:6380" });
  assert.ok(standalone.ok);
  assert.deepEqual(standalone.settings.redis, { kind: "standalone", url: "redis://:pw@cache:6380" });

  const cluster = readSettings({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001,[::1]:7002", REDIS_PASSWORD: "secret" });
  assert.ok(cluster.ok, JSON.stringify(!cluster.ok && cluster.problems));
  assert.deepEqual(cluster.settings.redis, {
    kind: "cluster",
    nodes: [
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "::1", port: 7002 },
    ],
    password: "secret",
  });

  const env = { REDIS_SENTINELS: "s1:26379,s2:26379", REDIS_SENTINEL_NAME: "slipway", REDIS_SENTINEL_PASSWORD: "sp", PATH: "/bin" };
  const sentinel = readSettings(env);
  assert.ok(sentinel.ok, JSON.stringify(!sentinel.ok && sentinel.problems));
  assert.deepEqual(sentinel.settings.redis, {
    kind: "sentinel",
    sentinels: [
      { host: "s1", port: 26379 },
      { host: "s2", port: 26379 },
    ],
    name: "slipway",
    sentinelPassword: "sp",
  });
  assert.deepEqual(Object.keys(sentinel.settings.stepEnv), ["PATH"], "a step cannot reach the queue through these");
});

test("Redis topology: one line per problem", () => {
  const r = readSettings({
    REDIS_URL: "redis://x:6379",
    REDIS_CLUSTER_NODES: "a:7000,b,c:99999,",
    REDIS_SENTINELS: "s1:26379",
  });
  assert.ok(!r.ok);
  assert.deepEqual(r.problems, [
    "REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other: set one",
    "REDIS_URL and REDIS_CLUSTER_NODES exclude each other: set one",
    "REDIS_URL and REDIS_SENTINELS exclude each other: set one",
    "REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the name of the primary Sentinel monitors",
    'REDIS_CLUSTER_NODES: "b" is not host:port (a port from 1 to 65535)',
    'REDIS_CLUSTER_NODES: "c:99999" is not host:port (a port from 1 to 65535)',
    'REDIS_CLUSTER_NODES: "" is not host:port (a port from 1 to 65535)',
  ]);
  const strays = readSettings({ REDIS_SENTINEL_NAME: "m", REDIS_SENTINEL_PASSWORD: "p", REDIS_PASSWORD: "q" });
  assert.ok(!strays.ok);
  assert.deepEqual(strays.problems, [
    "REDIS_SENTINEL_NAME is only used with REDIS_SENTINELS",
    "REDIS_SENTINEL_PASSWORD is only used with REDIS_SENTINELS",
    "REDIS_PASSWORD is for REDIS_CLUSTER_NODES or REDIS_SENTINELS; a single Redis takes its password in REDIS_URL",
  ]);
});
