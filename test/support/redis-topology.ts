// Redis topologies a test starts for itself with the machine's `redis-server` (`.ci/run`
// installs it): a Redis Cluster of masters, or a primary + replica watched by three sentinels.
// Every server runs in a temporary directory without persistence, on free ports, and is stopped
// by its pid; nothing here touches the shared Redis on 6379.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { after, before } from "node:test";
import path from "node:path";
import { Cluster, Redis } from "ioredis";
import type { HostPort, RedisTarget } from "../../src/settings.ts";

const HOST = "127.0.0.1";
const SLOTS = 16384;

interface Server {
  port: number;
  child: ChildProcess;
  output(): string;
}

export interface RedisCluster {
  nodes: HostPort[];
  target: RedisTarget;
  /** Environment for Slipway: REDIS_CLUSTER_NODES. */
  env: Record<string, string>;
  connect(): Cluster;
  stop(): Promise<void>;
}

export interface RedisSentinels {
  name: string;
  sentinels: HostPort[];
  target: RedisTarget;
  env: Record<string, string>;
  /** Port of the server the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** Ports of the other servers (the replicas). */
  replicaPorts(): Promise<number[]>;
  /** SIGKILLs the current primary (by pid) and resolves once the sentinels have promoted the replica. */
  killPrimaryAndFailOver(timeoutMs?: number): Promise<{ killed: number; promoted: number }>;
  /** Starts a server again on a dead primary's port, as a replica of the new primary; resolves once it is in sync. */
  restartAsReplica(port: number, timeoutMs?: number): Promise<void>;
  connect(): Redis;
  stop(): Promise<void>;
}

/** `masters` empty masters that share the 16384 slots, joined into one cluster that reports `cluster_state:ok`. */
export async function startRedisCluster(masters = 3, timeoutMs = 30_000): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-cluster-"));
  const servers: Server[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => stopServer(s)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus listens on port + 10000: both must be free.
      const port = await freePort((p) => p + 10_000 < 65_536, [10_000]);
      servers.push(await startServer(dir, port, ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"]));
    }
    const clients = servers.map((s) => new Redis(s.port, HOST, { maxRetriesPerRequest: 1 }));
    try {
      const per = Math.ceil(SLOTS / masters);
      for (const [i, c] of clients.entries()) await c.call("CLUSTER", "ADDSLOTSRANGE", String(i * per), String(Math.min(SLOTS, (i + 1) * per) - 1));
      for (const s of servers.slice(1)) await clients[0]!.call("CLUSTER", "MEET", HOST, String(s.port));
      await until(
        async () => {
          for (const c of clients) if (!/cluster_state:ok/.test(String(await c.call("CLUSTER", "INFO")))) return false;
          return true;
        },
        timeoutMs,
        "cluster_state:ok on every node",
      );
    } finally {
      for (const c of clients) c.disconnect();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = servers.map((s) => ({ host: HOST, port: s.port }));
  return {
    nodes,
    target: { kind: "cluster", nodes },
    env: { REDIS_CLUSTER_NODES: nodes.map((n) => `${n.host}:${n.port}`).join(",") },
    connect: () => new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } }),
    stop,
  };
}

/** A primary, one replica in sync with it, and three sentinels (quorum 2) that fail over within seconds. */
export async function startRedisSentinels(timeoutMs = 30_000): Promise<RedisSentinels> {
  const name = "slipway-test";
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-sentinel-"));
  const servers = new Map<number, Server>();
  const sentinelServers: Server[] = [];
  const stop = async () => {
    await Promise.all([...servers.values(), ...sentinelServers].map((s) => stopServer(s)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startServer(dir, await freePort(), []);
    servers.set(primary.port, primary);
    const replica = await startServer(dir, await freePort(), ["--replicaof", HOST, String(primary.port)]);
    servers.set(replica.port, replica);
    await inSync(replica.port, timeoutMs);
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          "",
        ].join("\n"),
      );
      sentinelServers.push(await spawnServer(port, [conf, "--sentinel"]));
    }
    // Ready once every sentinel knows the replica and the other sentinels: a failover can then be agreed.
    await until(
      async () => {
        for (const s of sentinelServers) {
          const c = new Redis(s.port, HOST, { maxRetriesPerRequest: 1 });
          try {
            const replicas = (await c.call("SENTINEL", "REPLICAS", name)) as unknown[];
            const peers = (await c.call("SENTINEL", "SENTINELS", name)) as unknown[];
            if (replicas.length < 1 || peers.length < 2) return false;
          } finally {
            c.disconnect();
          }
        }
        return true;
      },
      timeoutMs,
      "sentinels that know the replica and each other",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const sentinels = sentinelServers.map((s) => ({ host: HOST, port: s.port }));
  const primaryPort = async () => {
    const c = new Redis(sentinels[0]!.port, HOST, { maxRetriesPerRequest: 1 });
    try {
      const [, port] = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as [string, string];
      return Number(port);
    } finally {
      c.disconnect();
    }
  };
  return {
    name,
    sentinels,
    target: { kind: "sentinel", sentinels, name },
    env: { REDIS_SENTINELS: sentinels.map((s) => `${s.host}:${s.port}`).join(","), REDIS_SENTINEL_NAME: name },
    primaryPort,
    async replicaPorts() {
      const primary = await primaryPort();
      return [...servers.keys()].filter((p) => p !== primary);
    },
    async killPrimaryAndFailOver(failoverTimeoutMs = 30_000) {
      const killed = await primaryPort();
      const server = servers.get(killed)!;
      server.child.kill("SIGKILL");
      await exited(server.child);
      servers.delete(killed);
      let promoted = killed;
      await until(
        async () => {
          promoted = await primaryPort();
          return promoted !== killed;
        },
        failoverTimeoutMs,
        "the sentinels to promote the replica",
      );
      return { killed, promoted };
    },
    async restartAsReplica(port, syncTimeoutMs = 30_000) {
      const server = await startServer(dir, port, ["--replicaof", HOST, String(await primaryPort())]);
      servers.set(port, server);
      await inSync(port, syncTimeoutMs);
    },
    connect: () => new Redis({ sentinels, name, maxRetriesPerRequest: 1 }),
    stop,
  };
}

/** One lone Redis (no replica, no cluster), for what must not hold without a replica. */
export async function startLoneRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-redis-"));
  const server = await startServer(dir, await freePort(), []);
  return {
    url: `redis://${HOST}:${server.port}`,
    async stop() {
      await stopServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function inSync(port: number, timeoutMs: number): Promise<void> {
  const c = new Redis(port, HOST, { maxRetriesPerRequest: 1 });
  try {
    await until(async () => /master_link_status:up/.test(await c.info("replication")), timeoutMs, `the replica on ${port} in sync`);
  } finally {
    c.disconnect();
  }
}

async function startServer(dir: string, port: number, extra: string[]): Promise<Server> {
  return spawnServer(port, ["--port", String(port), "--bind", HOST, "--dir", dir, "--save", "", "--appendonly", "no", ...extra]);
}

async function spawnServer(port: number, args: string[]): Promise<Server> {
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  // A test file stopped by its timeout never runs its `after`: the servers go with the process.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const server = { port, child, output: () => output };
  const c = new Redis(port, HOST, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}:\n${output}`);
        try {
          if (c.status !== "ready") await c.connect();
          return (await c.ping()) === "PONG";
        } catch {
          c.disconnect();
          return false;
        }
      },
      10_000,
      `redis-server on ${port} to answer`,
    );
  } catch (err) {
    await stopServer(server);
    throw err;
  } finally {
    c.disconnect();
  }
  return server;
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGKILL");
  await exited(s.child);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A port the kernel just gave out and took back, for which `ok(port)` holds and `offsets` from it are free too. */
async function freePort(ok: (port: number) => boolean = () => true, offsets: number[] = []): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await listenOnce(0);
    if (!ok(port)) continue;
    if (
      (
        await Promise.all(
          offsets.map((o) =>
            listenOnce(port + o).then(
              () => true,
              () => false,
            ),
          ),
        )
      ).every(Boolean)
    )
      return port;
  }
  throw new Error("no free port found");
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A 3-master Cluster for one test file: started before its tests and stopped after them, with the
 * connections `connect()` handed out closed first.
 */
export function clusterForTests(): { connect(): Cluster } {
  let cluster: RedisCluster | undefined;
  const connections: Cluster[] = [];
  before(async () => {
    cluster = await startRedisCluster(3);
  });
  after(async () => {
    for (const c of connections) c.disconnect();
    await cluster?.stop();
  });
  return {
    connect() {
      if (!cluster) throw new Error("the cluster starts in before(): connect from a test");
      const c = cluster.connect();
      connections.push(c);
      return c;
    },
  };
}
