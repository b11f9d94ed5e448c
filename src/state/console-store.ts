// What the console keeps in Redis: sign-in states (each good once), sessions (the user's GitHub
// token stays here, never in the browser), and each user's readable repositories (≤ 5 minutes).
// Every server reads the same records, so a person stays signed in behind any load balancer.
import type { RedisConnection } from "../queue/redis.ts";

export interface ConsoleSession {
  login: string;
  /** The user-to-server token GitHub issued at sign-in; only the server ever reads it. */
  token: string;
  /** Epoch ms after which the session is over, whatever the cookie says. */
  expiresAt: number;
}

export interface RepoAccess {
  /** OWNER/NAME as GitHub spells it. */
  repo: string;
  /** May release locks and cancel runs there (write, maintain or admin). */
  canWrite: boolean;
}

export interface AccessEntry {
  fetchedAt: number;
  repos: RepoAccess[];
}

export class ConsoleStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.prefix}:console:${kind}:${id}`;
  }

  /** A sign-in `state` that the callback may use once within ten minutes. */
  async rememberState(state: string): Promise<void> {
    await this.redis.set(this.key("state", state), "1", "EX", 600);
  }

  /** True once per remembered state: a replayed callback finds it gone. */
  async takeState(state: string): Promise<boolean> {
    return (await this.redis.getdel(this.key("state", state))) !== null;
  }

  async saveSession(id: string, session: ConsoleSession): Promise<void> {
    const ttlMs = Math.max(1000, session.expiresAt - Date.now());
    await this.redis.set(this.key("session", id), JSON.stringify(session), "PX", ttlMs);
  }

  async session(id: string): Promise<ConsoleSession | undefined> {
    const raw = await this.redis.get(this.key("session", id));
    return raw ? (JSON.parse(raw) as ConsoleSession) : undefined;
  }

  async dropSession(id: string): Promise<void> {
    await this.redis.del(this.key("session", id));
  }

  async access(login: string): Promise<AccessEntry | undefined> {
    const raw = await this.redis.get(this.key("access", login.toLowerCase()));
    return raw ? (JSON.parse(raw) as AccessEntry) : undefined;
  }

  async saveAccess(login: string, entry: AccessEntry, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key("access", login.toLowerCase()), JSON.stringify(entry), "EX", ttlSeconds);
  }

  /** Forget a user's repositories: the next page asks GitHub again. */
  async dropAccess(login: string): Promise<void> {
    await this.redis.del(this.key("access", login.toLowerCase()));
  }
}
