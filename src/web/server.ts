/**
 * Starts the dashboard: reads the data (trust lists, user certificates, the monitor's database, created if
 * absent), then listens on 127.0.0.1 unless told otherwise. A host other than loopback needs a token, which
 * every request must then carry.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { UsageError } from "../errors.js";
import { listSome } from "../lib/list.js";
import type { MonitorConfig } from "../monitor/config.js";
import { MonitorStore } from "../monitor/store.js";
import { createApp } from "./app.js";
import { loadDashboard, shortPath } from "./model.js";

export interface ServeOptions {
  inputs: readonly string[];
  pending?: readonly string[];
  leaves?: readonly string[];
  config?: MonitorConfig;
  /** The monitor's SQLite database (created if absent); undefined: the config's, or none. */
  database?: string;
  host: string;
  port: number;
  token?: string;
  password?: string;
  skipUnreadable?: boolean;
  warnDays?: number;
  version: string;
  now: () => number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  loopback: boolean;
  /** Start-up lines for the terminal. */
  notes: string[];
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const loopback = isLoopback(o.host);
  if (!loopback && !o.token)
    throw new UsageError(
      `--host ${o.host} is not loopback: give --token (or SMIMETRUST_SERVE_TOKEN) so that only those who hold it can read the dashboard`,
    );
  if (o.token !== undefined && o.token.length < 16)
    throw new UsageError("--token: use at least 16 characters (e.g. openssl rand -hex 16)");
  const dashboard = await loadDashboard({
    inputs: o.inputs,
    pending: o.pending,
    leaves: o.leaves,
    config: o.config,
    password: o.password,
    skipUnreadable: o.skipUnreadable,
    warnDays: o.warnDays,
    now: o.now(),
  });
  const database = o.database ?? o.config?.database;
  const store = database ? new MonitorStore(database) : undefined;
  const app = createApp({
    dashboard,
    store,
    database,
    version: o.version,
    token: o.token,
    loopbackOnly: loopback,
    now: o.now,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, () => resolve(s));
    s.once("error", (e: NodeJS.ErrnoException) => {
      store?.close();
      reject(
        e.code === "EADDRINUSE"
          ? new UsageError(
              `--port ${o.port}: already in use on ${o.host} (choose another, or 0 for any free port)`,
            )
          : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND"
            ? new UsageError(`--host ${o.host}: not an address of this machine`)
            : e,
      );
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${shown}:${addr.port}/`;
  const notes = [
    `smimetrust serve: ${url}`,
    `  ${dashboard.certificates.length} certificate${dashboard.certificates.length === 1 ? "" : "s"} from ${dashboard.sources.length ? listSome(dashboard.sources, 3) : "no trust list"}, ${dashboard.leaves.length} user certificate${dashboard.leaves.length === 1 ? "" : "s"}, ${dashboard.findings.length} finding${dashboard.findings.length === 1 ? "" : "s"}`,
    `  monitor database: ${database ? shortPath(database) : "none (give --config or --database for History)"}`,
    loopback
      ? "  reachable from this machine only (127.0.0.1); --host with --token to share it"
      : `  listening on ${o.host}: every request needs the token (Authorization: Bearer <token>, or open ${url}?token=<token> once)`,
    "  Ctrl-C stops it",
  ];
  return {
    url,
    host: o.host,
    port: addr.port,
    loopback,
    notes,
    close: () =>
      new Promise<void>((resolve) => {
        const s = server as unknown as { close(cb: () => void): void; closeAllConnections?: () => void };
        s.close(() => {
          store?.close();
          resolve();
        });
        s.closeAllConnections?.();
      }),
  };
}
