/** A real HTTP server on 127.0.0.1 for the network tests: routes by path, counts requests, can hang. */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Reply {
  status?: number;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

export type Route =
  | Reply
  | ((req: http.IncomingMessage, body: Buffer) => Reply | "hang" | Promise<Reply | "hang">)
  | "hang";

export interface TestServer {
  url: string;
  /** Requests per path. */
  counts: Map<string, number>;
  /** Last request body and content type per path. */
  last: Map<string, { body: Buffer; contentType?: string; method?: string }>;
  routes: Map<string, Route>;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const map = new Map(Object.entries(routes));
  const counts = new Map<string, number>();
  const last = new Map<string, { body: Buffer; contentType?: string; method?: string }>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const p = new URL(req.url ?? "/", "http://x").pathname;
      counts.set(p, (counts.get(p) ?? 0) + 1);
      const body = Buffer.concat(chunks);
      last.set(p, { body, contentType: req.headers["content-type"], method: req.method });
      const route = map.get(p);
      let reply: Reply | "hang" = { status: 404, body: "not found" };
      if (route !== undefined) reply = typeof route === "function" ? await route(req, body) : route;
      if (reply === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(reply.status ?? 200, reply.headers ?? {});
      res.end(
        reply.body === undefined
          ? undefined
          : typeof reply.body === "string"
            ? reply.body
            : Buffer.from(reply.body),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    last,
    routes: map,
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
