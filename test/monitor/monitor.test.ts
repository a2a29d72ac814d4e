import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMonitorConfig, type MonitorConfig } from "../../src/monitor/config.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { intermediate, leaf, root } from "../helpers/pki.js";
import { closedPort, type HttpReceiver, httpReceiver, type SmtpReceiver, smtpReceiver } from "./servers.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 7, 0, 0);

let http: HttpReceiver;
let smtp: SmtpReceiver;
beforeAll(async () => {
  http = await httpReceiver();
  smtp = await smtpReceiver();
});
afterAll(async () => {
  await http.close();
  await smtp.close();
});

function setup(configExtra: Record<string, unknown> = {}, sinks?: unknown[], before?: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-monitor-"));
  mkdirSync(join(dir, "trust"));
  before?.(dir);
  const cfg = {
    schedule: "0 7 * * *",
    trustLists: [{ name: "production", path: "trust" }],
    sinks: sinks ?? [
      { type: "webhook", url: http.url(`/hook/${dir.slice(-6)}`) },
      { type: "teams", url: http.url(`/teams/${dir.slice(-6)}`) },
      { type: "slack", url: http.url(`/slack/${dir.slice(-6)}`) },
      {
        type: "email",
        host: "127.0.0.1",
        port: smtp.port,
        from: "monitor@contoso.com",
        to: [`pki-${dir.slice(-6)}@contoso.com`],
      },
      { type: "log" },
    ],
    ...configExtra,
  };
  writeFileSync(join(dir, "monitor.json"), JSON.stringify(cfg, null, 2));
  const config = loadMonitorConfig(join(dir, "monitor.json"), existsSync);
  const tag = dir.slice(-6);
  return { dir, config, tag };
}

interface Harness {
  monitor: Monitor;
  store: MonitorStore;
  log: string[];
  clock: { now: number };
}

function start(config: MonitorConfig, clock: { now: number }): Harness {
  const store = new MonitorStore(config.database);
  const log: string[] = [];
  let n = 0;
  const monitor = new Monitor(config, {
    store,
    now: () => clock.now,
    log: (l) => log.push(l),
    env: {},
    newId: () => `msg-${clock.now}-${++n}`,
  });
  return { monitor, store, log, clock };
}

const mailsFor = (tag: string) => smtp.mails.filter((m) => m.to.includes(`pki-${tag}@contoso.com`));

describe("monitor: alerts on change, once per sink", () => {
  it("sends a new finding once to every sink, nothing on an unchanged run, a threshold crossing, then 'resolved' when the CA is replaced", async () => {
    // The clock jumps days without runs: staleness (MONITOR_STALE) is off here (test/monitor/escalation.test.ts has it).
    const { dir, config, tag } = setup({ staleAfterPeriods: 0 });
    const ca = root("CN=Contoso Root CA,O=Contoso,C=GB", {
      now: T0,
      notBefore: T0 - 300 * DAY,
      notAfter: T0 + 20 * DAY,
    });
    writeFileSync(join(dir, "trust", "root.pem"), ca.pem);
    const clock = { now: T0 };
    const h = start(config, clock);

    const r1 = await h.monitor.runOnce();
    expect(r1.exitCode).toBe(1);
    expect(r1.alerts.map((a) => `${a.kind}:${a.code}:${a.severity}:${a.cert}`)).toEqual([
      `new:TRUST_EXPIRING:warning:${ca.cert.sha1}`,
    ]);
    expect(r1.delivery.failed).toEqual([]);
    expect(r1.delivery.sent.map((s) => s.sink).sort()).toEqual(["email", "log", "slack", "teams", "webhook"]);

    // generic webhook: idempotency key in header and body; certificate facts
    const hooks = http.on(`/hook/${tag}`);
    expect(hooks).toHaveLength(1);
    expect(hooks[0].headers["idempotency-key"]).toBe(hooks[0].body.idempotencyKey);
    expect(hooks[0].body.alerts).toHaveLength(1);
    expect(hooks[0].body.alerts[0]).toMatchObject({
      kind: "new",
      code: "TRUST_EXPIRING",
      severity: "warning",
      watched: "production",
      threshold: "30d",
      certificate: {
        name: "Contoso Root CA",
        sha1: ca.cert.sha1,
        notAfter: new Date(ca.cert.notAfter).toISOString(),
        daysLeft: 20,
      },
    });
    expect(hooks[0].body.alerts[0].hint).toMatch(/renewed CA certificate/);

    // Teams Workflows: a message with one Adaptive Card attachment, facts with the thumbprint and the UTC expiry
    const teams = http.on(`/teams/${tag}`);
    expect(teams).toHaveLength(1);
    expect(teams[0].body.type).toBe("message");
    expect(teams[0].body.attachments).toHaveLength(1);
    const card = teams[0].body.attachments[0];
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content.type).toBe("AdaptiveCard");
    expect(card.content.version).toBe("1.4");
    const facts = card.content.body[1].items[1].facts as { title: string; value: string }[];
    expect(facts).toContainEqual({ title: "Thumbprint", value: ca.cert.sha1 });
    expect(facts).toContainEqual({
      title: "Expires",
      value: `${new Date(ca.cert.notAfter).toISOString().slice(0, 16).replace("T", " ")} UTC (20 days left)`,
    });
    expect(facts.find((f) => f.title === "Fix")?.value).toMatch(/upload it before/);

    // Slack incoming webhook: text + blocks
    const slack = http.on(`/slack/${tag}`);
    expect(slack).toHaveLength(1);
    expect(slack[0].body.text).toContain("TRUST_EXPIRING 'Contoso Root CA'");
    expect(slack[0].body.blocks[0].type).toBe("header");
    expect(JSON.stringify(slack[0].body.blocks)).toContain(ca.cert.sha1);

    // e-mail through the real SMTP server
    const mails = mailsFor(tag);
    expect(mails).toHaveLength(1);
    expect(mails[0].from).toBe("monitor@contoso.com");
    expect(mails[0].text).toContain(`Thumbprint:  ${ca.cert.sha1}`);
    expect(mails[0].text).toContain("UTC (20 days left)");
    expect(mails[0].raw).toContain(`<${hooks[0].body.idempotencyKey}@smimetrust.monitor>`);
    expect(mails[0].raw).toContain(`X-Smimetrust-Idempotency-Key: ${hooks[0].body.idempotencyKey}`);

    // log sink
    expect(h.log.filter((l) => l.includes("smimetrust alert"))).toHaveLength(1);
    expect(h.log[0]).toContain(`thumbprint=${ca.cert.sha1}`);

    // unchanged run, a day later: nothing goes out
    clock.now = T0 + DAY;
    const r2 = await h.monitor.runOnce();
    expect(r2.alerts).toEqual([]);
    expect(r2.delivery.sent).toEqual([]);
    expect(http.on(`/hook/${tag}`)).toHaveLength(1);
    expect(mailsFor(tag)).toHaveLength(1);

    // 14 days later: 6 days left, the 7-day threshold (error) is crossed: one escalation
    clock.now = T0 + 14 * DAY;
    const r3 = await h.monitor.runOnce();
    expect(r3.alerts.map((a) => `${a.kind}:${a.severity}:${a.tier}`)).toEqual(["escalated:error:7d"]);
    expect(http.on(`/hook/${tag}`)).toHaveLength(2);
    expect(http.on(`/hook/${tag}`)[1].body.alerts[0]).toMatchObject({
      previousSeverity: "warning",
      certificate: { daysLeft: 6 },
    });

    // the CA is renewed (new certificate replaces the old file): the old finding resolves, the new one is clean
    const renewed = root("CN=Contoso Root CA,O=Contoso,C=GB", { now: clock.now, key: ca.key, days: 3650 });
    writeFileSync(join(dir, "trust", "root.pem"), renewed.pem);
    clock.now = T0 + 15 * DAY;
    const r4 = await h.monitor.runOnce();
    expect(r4.exitCode).toBe(0);
    expect(r4.alerts.map((a) => `${a.kind}:${a.cert}`)).toEqual([`resolved:${ca.cert.sha1}`]);
    const last = http.on(`/hook/${tag}`).at(-1)!;
    expect(last.body.alerts[0]).toMatchObject({ kind: "resolved", status: "resolved" });
    expect(http.on(`/teams/${tag}`).at(-1)!.body.attachments[0].content.body[0].text).toContain("✓ RESOLVED");
    expect(mailsFor(tag)).toHaveLength(3);
    expect(mailsFor(tag)[2].text).toContain("✓ RESOLVED");

    // a fifth, unchanged run sends nothing; every run is in the database
    clock.now = T0 + 16 * DAY;
    expect((await h.monitor.runOnce()).delivery.sent).toEqual([]);
    expect(h.store.runCount()).toBe(5);
    h.store.close();
    const db = new Database(config.database, { readonly: true });
    expect(
      (db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'sent'").get() as { n: number }).n,
    ).toBe(15);
    expect(
      (db.prepare("SELECT COUNT(*) AS n FROM findings WHERE code = 'TRUST_EXPIRING'").get() as { n: number })
        .n,
    ).toBe(3);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a sink that is down loses nothing and does not stop the others; a restarted monitor keeps history and re-sends nothing", async () => {
    const downPort = await closedPort();
    const { dir, config, tag } = setup({}, [
      { type: "webhook", name: "down-then-up", url: `http://127.0.0.1:${downPort}/late`, timeoutMs: 2000 },
      { type: "slack", url: http.url(`/slack/${"x"}`) },
      {
        type: "email",
        host: "127.0.0.1",
        port: smtp.port,
        from: "monitor@contoso.com",
        to: ["pki-down@contoso.com"],
      },
    ]);
    void tag;
    const expired = root("CN=Fabrikam Old Root", {
      now: T0,
      notBefore: T0 - 900 * DAY,
      notAfter: T0 - 2 * DAY,
    });
    const dup = root("CN=Fabrikam Mail Root", { now: T0 });
    writeFileSync(join(dir, "trust", "a.pem"), expired.pem + dup.pem);
    writeFileSync(join(dir, "trust", "b.pem"), dup.pem);
    const clock = { now: T0 };
    const h = start(config, clock);
    const slackBefore = http.on("/slack/x").length;

    const r1 = await h.monitor.runOnce();
    expect(r1.alerts.map((a) => `${a.code}:${a.cert}`).sort()).toEqual(
      [`DUPLICATE:${dup.cert.sha1}`, `TRUST_EXPIRED:${expired.cert.sha1}`].sort(),
    );
    expect(r1.delivery.failed.map((f) => f.sink)).toEqual(["down-then-up"]);
    expect(r1.delivery.failed[0].error).toMatch(/ECONNREFUSED/);
    expect(http.on("/slack/x").length - slackBefore).toBe(2);
    expect(smtp.mails.filter((m) => m.to.includes("pki-down@contoso.com"))).toHaveLength(2);
    expect(
      h.log.some(
        (l) => l.includes("could not deliver to sink 'down-then-up'") && l.includes("2 messages kept"),
      ),
    ).toBe(true);

    // The receiver comes up on that port; the monitor is restarted (new process, same database).
    h.store.close();
    const late = await httpReceiver(downPort);
    try {
      clock.now = T0 + DAY;
      const h2 = start(config, clock);
      expect(h2.monitor.hasPending()).toBe(true);
      // The long-running monitor's retry timer and a scheduled run may both deliver at once: never twice.
      const [r2, extra] = await Promise.all([h2.monitor.runOnce(), h2.monitor.deliverPending()]);
      expect(r2.alerts).toEqual([]); // history kept: nothing is new
      expect([...r2.delivery.sent, ...extra.sent].map((s) => s.sink)).toEqual([
        "down-then-up",
        "down-then-up",
      ]);
      expect(h2.monitor.hasPending()).toBe(false);
      expect(late.received).toHaveLength(2);
      expect(late.received.map((r) => r.body.alerts[0].code).sort()).toEqual(["DUPLICATE", "TRUST_EXPIRED"]);
      expect(new Set(late.received.map((r) => r.headers["idempotency-key"])).size).toBe(2);
      // the working sinks got nothing again
      expect(http.on("/slack/x").length - slackBefore).toBe(2);
      expect(smtp.mails.filter((m) => m.to.includes("pki-down@contoso.com"))).toHaveLength(2);

      // another run: nothing pending, nothing re-sent
      clock.now = T0 + 2 * DAY;
      const r3 = await h2.monitor.runOnce();
      expect(r3.delivery.sent).toEqual([]);
      expect(late.received).toHaveLength(2);
      expect(h2.store.runCount()).toBe(3);
      h2.store.close();
    } finally {
      await late.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("digest mode sends one message per run with every change", async () => {
    const { dir, config } = setup({ alerts: { mode: "digest" } }, [
      { type: "webhook", url: http.url("/digest") },
    ]);
    const a = root("CN=Digest A", { now: T0, notAfter: T0 + 5 * DAY });
    const b = root("CN=Digest B", { now: T0, notAfter: T0 + 60 * DAY });
    writeFileSync(join(dir, "trust", "x.pem"), a.pem + b.pem);
    const h = start(config, { now: T0 });
    const r = await h.monitor.runOnce();
    expect(r.messages).toHaveLength(1);
    const got = http.on("/digest");
    expect(got).toHaveLength(1);
    expect(got[0].body.type).toBe("digest");
    expect(
      got[0].body.alerts
        .map((x: { severity: string; threshold: string }) => `${x.severity}:${x.threshold}`)
        .sort(),
    ).toEqual(["error:7d", "info:90d"]);
    expect(got[0].body.title).toBe("smimetrust: 2 changes (1 error, 1 info)");
    h.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("alerts when a check itself fails (unreadable list: exit 2) and when an export is stale; both resolve", async () => {
    const { dir, config } = setup(
      {
        trustLists: [
          { name: "files", path: "trust" },
          { name: "exchange", path: "export.json", maxAgeHours: 26 },
        ],
      },
      [{ type: "webhook", url: http.url("/failures") }],
      (d) => writeFileSync(join(d, "export.json"), "{}"),
    );
    const r0 = root("CN=Export Root", { now: T0 });
    const { createSst } = await import("../../src/formats/sst.js");
    const { utimesSync } = await import("node:fs");
    writeFileSync(
      join(dir, "export.json"),
      JSON.stringify({
        SMIMECertificateIssuingCA: Buffer.from(createSst([{ der: r0.cert.der }])).toString("base64"),
      }),
    );
    utimesSync(join(dir, "export.json"), (T0 - 30 * 3600_000) / 1000, (T0 - 30 * 3600_000) / 1000);
    writeFileSync(join(dir, "trust", "good.pem"), r0.pem);
    writeFileSync(
      join(dir, "trust", "broken.cer"),
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    const h = start(config, { now: T0 });
    const r1 = await h.monitor.runOnce();
    expect(r1.exitCode).toBe(2);
    expect(r1.alerts.map((a) => `${a.kind}:${a.code}:${a.scope}`).sort()).toEqual([
      "new:CHECK_FAILED:files",
      "new:EXPORT_STALE:exchange",
    ]);
    const failed = http
      .on("/failures")
      .map((r) => r.body.alerts[0])
      .find((a) => a.code === "CHECK_FAILED");
    expect(failed.message).toMatch(/broken\.cer/);
    expect(h.store.lastRun()?.status).toBe("failed");

    rmSync(join(dir, "trust", "broken.cer"));
    writeFileSync(
      join(dir, "export.json"),
      JSON.stringify({
        SMIMECertificateIssuingCA: Buffer.from(createSst([{ der: r0.cert.der }])).toString("base64"),
      }),
    );
    utimesSync(join(dir, "export.json"), T0 / 1000, T0 / 1000);
    h.clock.now = T0 + 3600_000;
    const r2 = await h.monitor.runOnce();
    expect(r2.exitCode).toBe(0);
    expect(r2.alerts.map((a) => `${a.kind}:${a.code}`).sort()).toEqual([
      "resolved:CHECK_FAILED",
      "resolved:EXPORT_STALE",
    ]);
    h.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a list that cannot be read keeps its open findings: no 'resolved' while blind, no flood when it is back", async () => {
    const { dir, config } = setup(
      { trustLists: [{ name: "single", path: "list.pem" }] },
      [{ type: "webhook", url: http.url("/blind") }],
      (d) => writeFileSync(join(d, "list.pem"), ""),
    );
    const dup = root("CN=Blind Root", { now: T0 });
    const listFile = join(dir, "list.pem");
    writeFileSync(listFile, dup.pem + dup.pem);
    const h = start(config, { now: T0 });
    expect((await h.monitor.runOnce()).alerts.map((a) => `${a.kind}:${a.code}`)).toEqual(["new:DUPLICATE"]);
    rmSync(listFile);
    h.clock.now = T0 + DAY;
    const blind = await h.monitor.runOnce();
    expect(blind.exitCode).toBe(2);
    expect(blind.alerts.map((a) => `${a.kind}:${a.code}`)).toEqual(["new:CHECK_FAILED"]);
    expect(blind.alerts[0].message).toContain("no such file");
    writeFileSync(listFile, dup.pem + dup.pem);
    h.clock.now = T0 + 2 * DAY;
    const back = await h.monitor.runOnce();
    expect(back.alerts.map((a) => `${a.kind}:${a.code}`)).toEqual(["resolved:CHECK_FAILED"]);
    expect(http.on("/blind")).toHaveLength(3);
    h.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("user certificates: expiry tiers and a chain to the named trust list", async () => {
    const { validateChain } = await import("../../src/path/validate.js");
    const { dir, config } = setup(
      { userCertificates: [{ name: "staff", path: "users", trustList: "production" }] },
      [{ type: "webhook", url: http.url("/users"), minSeverity: "warning" }],
      (d) => mkdirSync(join(d, "users")),
    );
    const r = root("CN=Staff Root", { now: T0 });
    const ica = intermediate("CN=Staff Issuing CA", r, { now: T0 });
    const other = root("CN=Elsewhere Root", { now: T0 });
    const soon = leaf("carol@contoso.com", ica, { now: T0, notAfter: T0 + 25 * DAY });
    const stranger = leaf("dave@elsewhere.com", other, { now: T0 });
    writeFileSync(join(dir, "trust", "ca.pem"), r.pem + ica.pem);
    writeFileSync(join(dir, "users", "carol.pem"), soon.pem);
    writeFileSync(join(dir, "users", "dave.pem"), stranger.pem);
    const store = new MonitorStore(config.database);
    const m = new Monitor(config, { store, now: () => T0, log: () => {}, env: {}, validate: validateChain });
    const out = await m.runOnce();
    const byCert = (sha1: string) =>
      out.findings.filter((f) => f.cert === sha1).map((f) => `${f.code}:${f.severity}`);
    expect(byCert(soon.cert.sha1)).toEqual(["CERT_EXPIRING:warning"]);
    expect(byCert(stranger.cert.sha1).some((c) => c.endsWith(":error"))).toBe(true);
    expect(
      http
        .on("/users")
        .flatMap((x) => x.body.alerts.map((a: { certificate: { sha1: string } }) => a.certificate?.sha1)),
    ).toContain(soon.cert.sha1);
    // The trust list becomes unreadable: the chain findings stay open (nothing "resolved"), only the failure is new.
    writeFileSync(join(dir, "trust", "ca.pem"), "not a certificate");
    const blind = await m.runOnce();
    // (two failures: the file that is not a certificate, and the list left without any)
    expect(blind.alerts.map((a) => `${a.kind}:${a.code}:${a.scope}`)).toEqual([
      "new:CHECK_FAILED:production",
      "new:CHECK_FAILED:production",
    ]);
    expect(blind.findings.some((f) => f.cert === stranger.cert.sha1 && f.severity === "error")).toBe(true);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("outbox claims across processes", () => {
  it("two monitors on one database never both send a row; a claim left by a crashed process expires", () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-outbox-"));
    const file = join(dir, "monitor.sqlite");
    const a = new MonitorStore(file);
    const b = new MonitorStore(file);
    const runId = a.startRun(T0);
    const message = { id: "m-1", createdAt: T0, kind: "alert" as const, alerts: [] };
    a.commitRun({
      runId,
      finishedAt: T0,
      status: "ok",
      findings: [],
      state: [],
      alerts: [],
      messages: [{ message, sinks: ["hook"] }],
      certificates: new Map(),
    });
    expect(b.pendingDeliveries(T0).map((p) => p.message.id)).toEqual(["m-1"]);
    expect(a.claim("m-1", "hook", T0)).toBe(true);
    expect(b.claim("m-1", "hook", T0 + 1000)).toBe(false);
    expect(b.pendingDeliveries(T0 + 1000)).toEqual([]);
    // the first process died while sending: after the lease the row is pending again
    expect(b.pendingDeliveries(T0 + 11 * 60_000).map((p) => p.message.id)).toEqual(["m-1"]);
    expect(b.claim("m-1", "hook", T0 + 11 * 60_000)).toBe(true);
    b.markSent("m-1", "hook", T0 + 11 * 60_000);
    expect(a.claim("m-1", "hook", T0 + 60 * 60_000)).toBe(false);
    expect(a.pendingDeliveries(T0 + 60 * 60_000)).toEqual([]);
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("health for /healthz", () => {
  it("healthy while runs keep coming; 503-worthy once the schedule has gone quiet for longer than allowed", async () => {
    const { dir, config } = setup({}, [{ type: "log" }]);
    writeFileSync(join(dir, "trust", "root.pem"), root("CN=Health Root,O=Contoso", { now: T0 }).pem);
    const h = start(config, { now: T0 });
    const DAY_MS = 86_400_000;
    const quiet = 2 * DAY_MS + 60_000;
    expect(h.monitor.health(T0, { since: T0, maxQuietMs: quiet })).toEqual({
      ok: true,
      detail: "no run yet",
    });
    // Never ran since the process started, and far longer than two periods have passed.
    const stalled = h.monitor.health(T0 + 3 * DAY_MS, { since: T0, maxQuietMs: quiet });
    expect(stalled.ok).toBe(false);
    expect(stalled.detail).toMatch(/^no run for 4320 minutes/);
    await h.monitor.runOnce();
    expect(h.monitor.health(T0 + DAY_MS, { since: T0, maxQuietMs: quiet }).ok).toBe(true);
    expect(h.monitor.health(T0 + 2 * DAY_MS + 120_000, { since: T0, maxQuietMs: quiet }).ok).toBe(false);
    // Without a limit (no schedule to judge by), only the last run is described.
    expect(h.monitor.health(T0 + 30 * DAY_MS, { since: T0 }).ok).toBe(true);
    h.store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
