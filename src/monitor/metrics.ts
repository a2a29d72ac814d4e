/**
 * Prometheus metrics: the exposition text (pure) and a small node:http server for /metrics and /healthz.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Severity } from "../problems.js";
import type { CertSnapshot } from "./store.js";

export interface MetricsSnapshot {
  now: number;
  certificates: CertSnapshot[];
  findings: { code: string; severity: Severity; count: number }[];
  lastRun?: { finishedAt: number; success: boolean };
  runs: number;
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}

/** The text exposition format (version 0.0.4). */
export function renderMetrics(s: MetricsSnapshot): string {
  const L: string[] = [];
  L.push(
    "# HELP smimetrust_certificate_expiry_days Days until the certificate expires (negative: expired), as of now.",
  );
  L.push("# TYPE smimetrust_certificate_expiry_days gauge");
  for (const c of s.certificates)
    L.push(
      `smimetrust_certificate_expiry_days${labels({ sha1: c.sha1, subject: c.subject, list: c.scope })} ${num((c.notAfter - s.now) / 86_400_000)}`,
    );
  L.push("# HELP smimetrust_findings Open findings of the last run, by code and severity.");
  L.push("# TYPE smimetrust_findings gauge");
  for (const f of s.findings)
    L.push(`smimetrust_findings${labels({ code: f.code, severity: f.severity })} ${f.count}`);
  L.push("# HELP smimetrust_last_run_timestamp_seconds When the last run finished (Unix time).");
  L.push("# TYPE smimetrust_last_run_timestamp_seconds gauge");
  L.push(
    `smimetrust_last_run_timestamp_seconds ${s.lastRun ? num(Math.floor(s.lastRun.finishedAt / 1000)) : 0}`,
  );
  L.push(
    "# HELP smimetrust_last_run_success 1 when the last run could check every source, 0 when a check failed.",
  );
  L.push("# TYPE smimetrust_last_run_success gauge");
  L.push(`smimetrust_last_run_success ${s.lastRun?.success ? 1 : 0}`);
  L.push("# HELP smimetrust_runs_total Runs recorded in the database.");
  L.push("# TYPE smimetrust_runs_total counter");
  L.push(`smimetrust_runs_total ${s.runs}`);
  return `${L.join("\n")}\n`;
}

export interface MetricsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves /metrics and /healthz; `snapshot` is called per request. */
export async function startMetricsServer(opts: {
  port: number;
  host?: string;
  snapshot: () => MetricsSnapshot;
  healthy: () => { ok: boolean; detail: string };
}): Promise<MetricsServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    try {
      if (path === "/metrics") {
        const body = renderMetrics(opts.snapshot());
        res
          .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
          .end(req.method === "HEAD" ? undefined : body);
      } else if (path === "/healthz") {
        const h = opts.healthy();
        res
          .writeHead(h.ok ? 200 : 503, { "content-type": "text/plain; charset=utf-8" })
          .end(`${h.ok ? "ok" : "unhealthy"}: ${h.detail}\n`);
      } else {
        res
          .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
          .end("not found: try /metrics or /healthz\n");
      }
    } catch (e) {
      res
        .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
        .end(`error: ${(e as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
