// A minimal git server over HTTP using git's "dumb" protocol: static files of bare repositories
// (after `git update-server-info`). Enough to check what git really sends on the wire: it
// records each request's Authorization header and refuses requests without the expected one.
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize } from "node:path";

export interface DumbGitServer {
  url: string;
  authorizations: Array<string | undefined>;
  /** Requests whose path starts with this prefix wait until `release()` is called. */
  hold(prefix: string): { release: () => void };
  close(): Promise<void>;
}

export async function startDumbGitServer(root: string, expectedAuthorization: string): Promise<DumbGitServer> {
  const holds: Array<{ prefix: string; gate: Promise<void> }> = [];
  const authorizations: Array<string | undefined> = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    authorizations.push(req.headers.authorization);
    for (const h of holds) if (path.startsWith(h.prefix)) await h.gate;
    if (req.headers.authorization !== expectedAuthorization) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="test"' }).end();
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    authorizations,
    hold(prefix) {
      let release!: () => void;
      holds.push({ prefix, gate: new Promise<void>((r) => (release = r)) });
      return { release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
