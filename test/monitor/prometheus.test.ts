import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import parsePrometheus, { type PromFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/options.js";
import { loadMonitorConfig } from "../../src/monitor/config.js";
import { renderMetrics, startMetricsServer } from "../../src/monitor/metrics.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { intermediate, leaf, root } from "../helpers/pki.js";
import { type HttpReceiver, httpReceiver } from "./servers.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 7, 0, 0);
const HOSTILE_CN = 'Evil "Root" \\ back\nslash\r\n# TYPE x counter\u202e} 1\nfake{a="b"} 2 ;,';

function family(fams: PromFamily[], name: string): PromFamily {
  const f = fams.find((x) => x.name === name);
  expect(f, `family ${name}`).toBeDefined();
  return f!;
}

/** promtool check metrics: the body is valid exposition and passes its lint (names, units, types). */
function promtoolCheckMetrics(body: string): void {
  const r = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
  expect(r.error, "promtool is needed (Debian package prometheus)").toBeUndefined();
  expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
  expect(r.status).toBe(0);
}

describe("/metrics in Prometheus' terms, over real HTTP, read back with a text-format parser and promtool", () => {
  let http: HttpReceiver;
  beforeAll(async () => {
    http = await httpReceiver();
  });
  afterAll(async () => {
    await http.close();
  });

  it("certificate timestamps, roles and owners; run status; last success; deliveries by sink and outcome; info", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-prom-"));
    mkdirSync(join(dir, "trust"));
    mkdirSync(join(dir, "users"));
    const r = root("CN=x", {
      subject: [["CN", HOSTILE_CN]],
      notBefore: NOW - 900 * DAY,
      notAfter: NOW + 400 * DAY,
    });
    const ca = intermediate("CN=Prom Issuing CA,O=Contoso", r, {
      notBefore: NOW - 300 * DAY,
      notAfter: NOW + 20 * DAY,
    });
    const alice = leaf("alice@contoso.example", ca, { notBefore: NOW - 30 * DAY, notAfter: NOW + 5 * DAY });
    writeFileSync(join(dir, "trust", "r.pem"), r.pem + ca.pem);
    writeFileSync(join(dir, "users", "alice.pem"), alice.pem);
    writeFileSync(
      join(dir, "monitor.json"),
      JSON.stringify({
        schedule: "0 7 * * *",
        trustLists: [{ name: "prod", path: "trust" }],
        userCertificates: [{ name: "staff", path: "users" }],
        sinks: [
          { type: "webhook", name: "ok", url: http.url("/ok") },
          { type: "webhook", name: "broken", url: http.url("/fail") },
        ],
      }),
    );
    const config = loadMonitorConfig(join(dir, "monitor.json"), () => true);
    config.trustLists[0].owner = "pki-team";
    const clock = { now: NOW };
    const store = new MonitorStore(config.database);
    const monitor = new Monitor(config, { store, now: () => clock.now, log: () => {}, version: VERSION });
    const first = await monitor.runOnce();
    const messages = first.messages.length;
    expect(messages).toBe(2); // the intermediate (20 days left) and alice (5 days left)
    expect(first.delivery.failed.map((f) => f.sink)).toEqual(["broken"]);
    clock.now = NOW + DAY;
    // Nothing new about the certificates; "broken" has now failed for a day, so the run sends SINK_FAILED to
    // the other sinks only, and "broken" fails once more.
    const second = await monitor.runOnce();
    expect(second.messages.flatMap((m) => m.alerts.map((a) => a.code))).toEqual(["SINK_FAILED"]);
    const server = await startMetricsServer({
      port: 0,
      host: "127.0.0.1",
      snapshot: () => monitor.metricsSnapshot(),
      healthy: () => ({ ok: true, detail: "" }),
      calendar: () => monitor.calendar(),
    });
    let body: string;
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      body = await res.text();
    } finally {
      await server.close();
      store.close();
    }
    promtoolCheckMetrics(body);
    const fams = parsePrometheus(body);

    const notAfter = family(fams, "smimetrust_certificate_not_after_timestamp_seconds");
    expect(notAfter.type).toBe("GAUGE");
    const notBefore = family(fams, "smimetrust_certificate_not_before_timestamp_seconds");
    const expected = [
      { c: r, list: "prod", role: "root", owner: "pki-team" },
      { c: ca, list: "prod", role: "intermediate", owner: "pki-team" },
      { c: alice, list: "staff", role: "user", owner: "" },
    ];
    const key = (l: Record<string, string> | undefined) => `${l?.list}/${l?.sha1}`;
    expect(notAfter.metrics.map((m) => key(m.labels)).sort()).toEqual(
      expected.map((e) => `${e.list}/${e.c.cert.sha1}`).sort(),
    );
    for (const e of expected) {
      const a = notAfter.metrics.find((m) => key(m.labels) === `${e.list}/${e.c.cert.sha1}`)!;
      expect(Number(a.value)).toBe(e.c.cert.notAfter / 1000);
      expect(a.labels).toEqual({
        list: e.list,
        subject: e.c.cert.subject.toString(),
        sha1: e.c.cert.sha1,
        role: e.role,
        owner: e.owner,
      });
      const b = notBefore.metrics.find((m) => key(m.labels) === `${e.list}/${e.c.cert.sha1}`)!;
      expect(Number(b.value)).toBe(e.c.cert.notBefore / 1000);
      expect(b.labels).toEqual(a.labels);
    }
    // the hostile name is one label value, exactly (no forged line, no forged series)
    const hostile = notAfter.metrics.find((m) => m.labels?.role === "root")!.labels!.subject;
    expect(hostile).toBe(r.cert.subject.toString());
    expect(hostile).toContain("\r\n# TYPE x counter\u202e} 1\nfake{a=");
    expect(fams.map((f) => f.name)).not.toContain("fake");
    expect(body.split("\n").filter((l) => l.startsWith("fake"))).toEqual([]);

    expect(family(fams, "smimetrust_info").metrics).toEqual([{ value: "1", labels: { version: VERSION } }]);
    const status = family(fams, "smimetrust_last_run_status");
    expect(Object.fromEntries(status.metrics.map((m) => [m.labels!.status, Number(m.value)]))).toEqual({
      ok: 0,
      findings: 1,
      failed: 0,
    });
    expect(Number(family(fams, "smimetrust_last_success_timestamp_seconds").metrics[0].value)).toBe(
      (NOW + DAY) / 1000,
    );
    expect(Number(family(fams, "smimetrust_last_run_timestamp_seconds").metrics[0].value)).toBe(
      (NOW + DAY) / 1000,
    );
    expect(family(fams, "smimetrust_last_run_success").metrics[0].value).toBe("1");
    expect(family(fams, "smimetrust_runs_total").metrics[0].value).toBe("2");
    const deliveries = family(fams, "smimetrust_deliveries_total");
    expect(deliveries.type).toBe("COUNTER");
    expect(
      Object.fromEntries(
        deliveries.metrics.map((m) => [`${m.labels!.sink}/${m.labels!.outcome}`, Number(m.value)]),
      ),
    ).toEqual({ "ok/sent": messages + 1, "ok/failed": 0, "broken/sent": 0, "broken/failed": 2 });
    expect(
      Object.fromEntries(
        family(fams, "smimetrust_deliveries_pending").metrics.map((m) => [m.labels!.sink, Number(m.value)]),
      ),
    ).toEqual({ ok: 0, broken: messages });
    // days left, as PromQL computes it at query time: (not_after - time()) / 86400
    const caNotAfter = notAfter.metrics.find((m) => m.labels?.sha1 === ca.cert.sha1)!;
    expect((Number(caNotAfter.value) - (NOW + DAY) / 1000) / 86400).toBe(19);
    // smimetrust_certificate_expiry_days (days as of the scrape) is gone: promtool wants base units
    expect(body).not.toContain("expiry_days");
    const findings = family(fams, "smimetrust_findings").metrics;
    expect(findings.find((m) => m.labels?.code === "TRUST_EXPIRING")?.labels?.severity).toBe("warning");
  });

  it("every configured sink has its delivery series from the start (zeros), so rate() and alerts see it", () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-prom0-"));
    mkdirSync(join(dir, "trust"));
    writeFileSync(
      join(dir, "monitor.json"),
      JSON.stringify({
        schedule: "0 7 * * *",
        trustLists: [{ name: "prod", path: "trust" }],
        sinks: [{ type: "log" }, { type: "webhook", name: "hook", url: "http://127.0.0.1:9/x" }],
      }),
    );
    const config = loadMonitorConfig(join(dir, "monitor.json"), () => true);
    const store = new MonitorStore(config.database);
    try {
      const body = renderMetrics(
        new Monitor(config, { store, now: () => NOW, log: () => {} }).metricsSnapshot(),
      );
      promtoolCheckMetrics(body);
      expect(body).toContain('smimetrust_deliveries_total{sink="hook",outcome="failed"} 0\n');
      expect(body).toContain('smimetrust_deliveries_total{sink="log",outcome="sent"} 0\n');
      expect(body).toContain('smimetrust_deliveries_pending{sink="log"} 0\n');
      expect(body).toContain('smimetrust_info{version="unknown"} 1\n');
    } finally {
      store.close();
    }
  });

  it("a database made before notBefore and role were kept gets the columns; its rows export notAfter until the next run", () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-promold-"));
    const file = join(dir, "old.sqlite");
    const old = new Database(file);
    old.exec(
      "CREATE TABLE certificates (scope TEXT NOT NULL, sha1 TEXT NOT NULL, subject TEXT NOT NULL, not_after TEXT NOT NULL, PRIMARY KEY (scope, sha1))",
    );
    old
      .prepare("INSERT INTO certificates VALUES (?, ?, ?, ?)")
      .run("prod", "AB", "CN=Old", new Date(NOW + DAY).toISOString());
    old.close();
    const store = new MonitorStore(file);
    try {
      expect(store.certificates()).toEqual([
        { scope: "prod", sha1: "AB", subject: "CN=Old", notAfter: NOW + DAY },
      ]);
      const body = renderMetrics({ now: NOW, certificates: store.certificates(), findings: [], runs: 0 });
      promtoolCheckMetrics(body);
      expect(body).toContain(
        `smimetrust_certificate_not_after_timestamp_seconds{list="prod",subject="CN=Old",sha1="AB",role="",owner=""} ${(NOW + DAY) / 1000}\n`,
      );
      expect(body).not.toMatch(/^smimetrust_certificate_not_before_timestamp_seconds\{/m);
    } finally {
      store.close();
    }
  });

  it("before any run: zeros, no certificates, still valid exposition", () => {
    const body = renderMetrics({ now: NOW, certificates: [], findings: [], runs: 0, version: "1.2.3" });
    promtoolCheckMetrics(body);
    const fams = parsePrometheus(body);
    expect(family(fams, "smimetrust_last_success_timestamp_seconds").metrics[0].value).toBe("0");
    expect(family(fams, "smimetrust_last_run_status").metrics.map((m) => m.value)).toEqual(["0", "0", "0"]);
    expect(body).toContain('smimetrust_info{version="1.2.3"} 1\n');
  });
});

describe("examples/prometheus-rules.yml", () => {
  const rules = join(REPO_ROOT, "examples", "prometheus-rules.yml");

  it("loads (promtool check rules)", () => {
    const r = spawnSync("promtool", ["check", "rules", rules], { encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it("fires as its unit tests say (promtool test rules test/monitor/prometheus-rules.test.yml)", () => {
    const r = spawnSync(
      "promtool",
      ["test", "rules", join(REPO_ROOT, "test", "monitor", "prometheus-rules.test.yml")],
      {
        encoding: "utf8",
      },
    );
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
