/**
 * The dashboard the web tests (and the screenshots in docs/serve.md) look at: the bundled examples (Contoso,
 * Fabrikam and Northwind CAs, their user certificates), one CA made here that expires in 20 days, a monitor
 * database with two real runs (`smimetrust monitor --once`, a day apart, the second one seeing the new CA),
 * and a pending list that drops Northwind (so it breaks Northwind's users).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, type ServeOptions, startServer } from "../../src/web/server.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const DAY = 86_400_000;
export const EX = (p: string) => join(REPO_ROOT, "examples", p);
export const LIST_IN_USE = [
  EX("certs/contoso-root-ca.pem"),
  EX("certs/contoso-issuing-ca-1.pem"),
  EX("certs/fabrikam-root.cer"),
  EX("certs/fabrikam-smime-ca.crt"),
  EX("mail/ca/northwind-root-ca.pem"),
  EX("mail/ca/northwind-issuing-ca.pem"),
];

export interface Fixture {
  dir: string;
  config: string;
  database: string;
  pending: string[];
  server: RunningServer;
  opts: ServeOptions;
  cleanup(): Promise<void>;
}

export async function makeFixture(now = Date.now(), extra: Partial<ServeOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-serve-"));
  const expiring = root("CN=Woodgrove Interim CA,O=Woodgrove Bank,C=US", {
    notBefore: now - 400 * DAY,
    notAfter: now + 20 * DAY,
  });
  writeFileSync(join(dir, "woodgrove-interim-ca.pem"), expiring.pem);
  const database = join(dir, "monitor.sqlite");
  const config = (paths: string[]) => ({
    schedule: "0 7 * * *",
    database,
    trustLists: [{ name: "exchange-trust-list", path: paths }],
    userCertificates: [{ name: "staff", path: EX("mail/users"), trustList: "exchange-trust-list" }],
    alerts: { mode: "change", minSeverity: "info" },
    sinks: [{ type: "log" }],
  });
  const first = join(dir, "monitor-first.json");
  const cfg = join(dir, "monitor.json");
  writeFileSync(first, JSON.stringify(config(LIST_IN_USE)));
  writeFileSync(cfg, JSON.stringify(config([...LIST_IN_USE, join(dir, "woodgrove-interim-ca.pem")])));
  for (const [file, at] of [
    [first, now - DAY],
    [cfg, now - 3600_000],
  ] as const) {
    const r = await cli(["monitor", "--config", file, "--once"], { now: at });
    if (r.code === 2) throw new Error(`monitor run failed: ${r.stderr}`);
  }
  const pending = LIST_IN_USE.slice(0, 4);
  const { loadMonitorConfig } = await import("../../src/monitor/config.js");
  const { existsSync } = await import("node:fs");
  const opts: ServeOptions = {
    inputs: [],
    config: loadMonitorConfig(cfg, existsSync),
    pending,
    database,
    host: "127.0.0.1",
    port: 0,
    version: "0.1.0",
    now: () => now,
    ...extra,
  };
  const server = await startServer(opts);
  return {
    dir,
    config: cfg,
    database,
    pending,
    server,
    opts,
    cleanup: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
