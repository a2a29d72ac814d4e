/**
 * Prometheus metrics: the exposition text (pure) and a small node:http server for /metrics, /healthz and
 * /calendar.ics.
 *
 * Written by hand rather than with prom-client: every value is a snapshot of the monitor's database taken
 * per scrape (certificates as of the last run, runs, the outbox), not state this process counts in memory,
 * so the delivery totals survive restarts and two processes on one database agree. prom-client's metric
 * objects are made for in-process instrumentation; fed from a snapshot they would be reset and refilled on
 * every scrape. The text format (version 0.0.4) is small; escaping is tested and `promtool check metrics`
 * checks a real body in the tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Severity } from "../problems.js";
import type { CertSnapshot } from "./store.js";

export interface MetricsCertificate extends CertSnapshot {
  /** The owner of its source in monitor.json (absent: none). */
  owner?: string;
}

export interface MetricsSnapshot {
  now: number;
  certificates: MetricsCertificate[];
  findings: { code: string; severity: Severity; count: number }[];
  lastRun?: { finishedAt: number; success: boolean; status?: "ok" | "findings" | "failed" };
  /** When the last run that could check every source finished (ms). */
  lastSuccessAt?: number;
  runs: number;
  /** Delivery totals by sink (from the outbox). */
  deliveries?: { sink: string; sent: number; failed: number; pending: number }[];
  /** smimetrust's version (smimetrust_info). */
  version?: string;
}

/** A label value in the text format: backslash, double quote and line feed escaped (nothing else may be). */
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

const seconds = (ms: number) => num(ms / 1000);

/** The text exposition format (version 0.0.4). */
export function renderMetrics(s: MetricsSnapshot): string {
  const L: string[] = [];
  const family = (name: string, type: "gauge" | "counter", help: string) => {
    L.push(`# HELP ${name} ${help}`);
    L.push(`# TYPE ${name} ${type}`);
  };
  const certLabels = (c: MetricsCertificate) => ({
    list: c.scope,
    subject: c.subject,
    sha1: c.sha1,
    role: c.role ?? "",
    owner: c.owner ?? "",
  });

  family("smimetrust_info", "gauge", "Always 1; the version of smimetrust serving these metrics.");
  L.push(`smimetrust_info${labels({ version: s.version ?? "unknown" })} 1`);

  family(
    "smimetrust_certificate_not_after_timestamp_seconds",
    "gauge",
    "When the certificate expires (its notAfter, Unix time); days left = (this - time()) / 86400.",
  );
  for (const c of s.certificates)
    L.push(
      `smimetrust_certificate_not_after_timestamp_seconds${labels(certLabels(c))} ${seconds(c.notAfter)}`,
    );
  family(
    "smimetrust_certificate_not_before_timestamp_seconds",
    "gauge",
    "When the certificate becomes valid (its notBefore, Unix time).",
  );
  for (const c of s.certificates)
    if (c.notBefore !== undefined)
      L.push(
        `smimetrust_certificate_not_before_timestamp_seconds${labels(certLabels(c))} ${seconds(c.notBefore)}`,
      );
  family("smimetrust_findings", "gauge", "Open findings of the last run, by code and severity.");
  for (const f of s.findings)
    L.push(`smimetrust_findings${labels({ code: f.code, severity: f.severity })} ${f.count}`);
  family(
    "smimetrust_last_run_timestamp_seconds",
    "gauge",
    "When the last run finished (Unix time; 0: none yet).",
  );
  L.push(
    `smimetrust_last_run_timestamp_seconds ${s.lastRun ? num(Math.floor(s.lastRun.finishedAt / 1000)) : 0}`,
  );
  family(
    "smimetrust_last_run_success",
    "gauge",
    "1 when the last run could check every source, 0 when a check failed.",
  );
  L.push(`smimetrust_last_run_success ${s.lastRun?.success ? 1 : 0}`);
  family(
    "smimetrust_last_run_status",
    "gauge",
    "The last run's outcome: 1 for its status (ok: nothing found; findings; failed: a source could not be checked), 0 for the others.",
  );
  const status = s.lastRun ? (s.lastRun.status ?? (s.lastRun.success ? "ok" : "failed")) : undefined;
  for (const st of ["ok", "findings", "failed"] as const)
    L.push(`smimetrust_last_run_status${labels({ status: st })} ${status === st ? 1 : 0}`);
  family(
    "smimetrust_last_success_timestamp_seconds",
    "gauge",
    "When the last run that could check every source finished (Unix time; 0: none yet).",
  );
  L.push(
    `smimetrust_last_success_timestamp_seconds ${s.lastSuccessAt !== undefined ? num(Math.floor(s.lastSuccessAt / 1000)) : 0}`,
  );
  family("smimetrust_runs_total", "counter", "Runs recorded in the database.");
  L.push(`smimetrust_runs_total ${s.runs}`);
  family(
    "smimetrust_deliveries_total",
    "counter",
    "Delivery attempts by sink and outcome (sent: a message delivered; failed: an attempt that failed, retried later).",
  );
  for (const d of s.deliveries ?? []) {
    L.push(`smimetrust_deliveries_total${labels({ sink: d.sink, outcome: "sent" })} ${d.sent}`);
    L.push(`smimetrust_deliveries_total${labels({ sink: d.sink, outcome: "failed" })} ${d.failed}`);
  }
  family("smimetrust_deliveries_pending", "gauge", "Messages waiting to be delivered, by sink.");
  for (const d of s.deliveries ?? [])
    L.push(`smimetrust_deliveries_pending${labels({ sink: d.sink })} ${d.pending}`);
  return `${L.join("\n")}\n`;
}

export interface MetricsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves /metrics, /healthz and /calendar.ics; `snapshot` and `calendar` are called per request. */
export async function startMetricsServer(opts: {
  port: number;
  host?: string;
  snapshot: () => MetricsSnapshot;
  healthy: () => { ok: boolean; detail: string };
  /** The iCalendar file served at /calendar.ics (absent: 404). */
  calendar?: () => string;
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
      } else if (path === "/calendar.ics" && opts.calendar) {
        const body = opts.calendar();
        res
          .writeHead(200, {
            "content-type": "text/calendar; charset=utf-8",
            "content-disposition": 'inline; filename="expiries.ics"',
            "cache-control": "no-cache",
          })
          .end(req.method === "HEAD" ? undefined : body);
      } else {
        res
          .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
          .end(`not found: try /metrics${opts.calendar ? ", /calendar.ics" : ""} or /healthz\n`);
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
