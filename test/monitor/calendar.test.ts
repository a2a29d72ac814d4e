import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { escapeControls } from "../../src/lib/text.js";
import { type CalendarCertificate, foldLine, renderCalendar } from "../../src/monitor/calendar.js";
import { loadMonitorConfig } from "../../src/monitor/config.js";
import { startMetricsServer } from "../../src/monitor/metrics.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { cli as runCli } from "../helpers/cli.js";
import { type Issued, intermediate, leaf, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 7, 0, 0);
const cli = (argv: string[], now = NOW) => runCli(argv, { now });

interface Parsed {
  cal: ICAL.Component;
  events: Map<string, ICAL.Component>;
}

/** Parses with ical.js (a second, independent parser) and indexes the events by UID. */
function parse(ics: string): Parsed {
  const cal = new ICAL.Component(ICAL.parse(ics));
  const events = new Map<string, ICAL.Component>();
  for (const e of cal.getAllSubcomponents("vevent")) {
    const uid = String(e.getFirstPropertyValue("uid"));
    expect(events.has(uid), `UID ${uid} twice`).toBe(false);
    events.set(uid, e);
  }
  return { cal, events };
}

const prop = (c: ICAL.Component, name: string) => c.getFirstPropertyValue(name);
const time = (c: ICAL.Component, name: string) => prop(c, name) as ICAL.Time;
const triggers = (e: ICAL.Component) =>
  e.getAllSubcomponents("valarm").map((a) => ({
    action: String(prop(a, "action")),
    trigger: String(prop(a, "trigger")),
    related: a.getFirstProperty("trigger")?.getParameter("related"),
    description: String(prop(a, "description")),
  }));

/** Every physical line at most 75 octets and CRLF-terminated; the text is valid UTF-8. */
function expectWellFormed(ics: string): void {
  expect(ics.endsWith("\r\n")).toBe(true);
  expect(ics.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  for (const line of ics.split("\r\n")) expect(Buffer.byteLength(line, "utf8")).toBeLessThanOrEqual(75);
  expect(Buffer.from(ics, "utf8").toString("utf8")).toBe(ics);
  expect(ics).not.toContain("\ufffd");
}

const cert = (over: Partial<CalendarCertificate> = {}): CalendarCertificate => ({
  scope: "prod",
  sha1: "0123456789ABCDEF0123456789ABCDEF01234567",
  subject: "CN=Contoso Root CA,O=Contoso",
  notAfter: NOW + 100 * DAY + 3_600_000,
  notBefore: NOW - 1000 * DAY,
  role: "root",
  ...over,
});

describe("renderCalendar (RFC 5545), read back with ical.js", () => {
  it("one event at the expiry with reminders at the thresholds ahead, and one all-day event per threshold", () => {
    const c = cert({ owner: "pki-team" });
    const user = cert({
      scope: "staff",
      sha1: "FEDCBA9876543210FEDCBA9876543210FEDCBA98",
      subject: "CN=Alice Example,E=alice@contoso.example",
      notAfter: NOW + 20 * DAY,
      role: "user",
    });
    const ics = renderCalendar([c, user], { thresholds: [90, 30, 7], now: NOW, version: "0.1.0" });
    expectWellFormed(ics);
    const { cal, events } = parse(ics);
    expect(prop(cal, "version")).toBe("2.0");
    expect(prop(cal, "prodid")).toBe("-//smimetrust//smimetrust 0.1.0//EN");
    expect(prop(cal, "calscale")).toBe("GREGORIAN");
    expect(prop(cal, "method")).toBe("PUBLISH");
    expect(prop(cal, "x-wr-calname")).toBe("smimetrust: certificate expiries");
    expect([...events.keys()].sort()).toEqual(
      [
        `${c.sha1}-expiry@smimetrust`,
        `${c.sha1}-90d@smimetrust`,
        `${c.sha1}-30d@smimetrust`,
        `${c.sha1}-7d@smimetrust`,
        `${user.sha1}-expiry@smimetrust`,
        `${user.sha1}-90d@smimetrust`,
        `${user.sha1}-30d@smimetrust`,
        `${user.sha1}-7d@smimetrust`,
      ].sort(),
    );

    const expiry = events.get(`${c.sha1}-expiry@smimetrust`)!;
    expect(time(expiry, "dtstart").toJSDate().getTime()).toBe(c.notAfter);
    expect(time(expiry, "dtstart").isDate).toBe(false);
    expect(time(expiry, "dtstart").zone?.tzid).toBe("UTC");
    expect(time(expiry, "dtstamp").toJSDate().getTime()).toBe(NOW);
    expect(prop(expiry, "sequence")).toBe(0);
    expect(prop(expiry, "summary")).toBe("Certificate expires: Contoso Root CA");
    const description = String(prop(expiry, "description"));
    expect(description).toContain("Certificate: CN=Contoso Root CA,O=Contoso\n");
    expect(description).toContain(`SHA-1: ${c.sha1}\nRole: root\n`);
    expect(description).toContain("Watched in: prod\nOwner: pki-team\n");
    expect(triggers(expiry)).toEqual(
      [90, 30, 7].map((d) => ({
        action: "DISPLAY",
        trigger: `-P${d}D`,
        related: "START",
        description: `${d} days left: Contoso Root CA expires ${new Date(c.notAfter).toISOString().replace(".000", "")}`,
      })),
    );

    const t30 = events.get(`${c.sha1}-30d@smimetrust`)!;
    const start = time(t30, "dtstart");
    expect(start.isDate).toBe(true);
    expect(start.toString()).toBe(new Date(c.notAfter - 30 * DAY).toISOString().slice(0, 10));
    expect(time(t30, "dtend").toString()).toBe(new Date(c.notAfter - 29 * DAY).toISOString().slice(0, 10));
    expect(prop(t30, "summary")).toBe("30 days left: Contoso Root CA");
    expect(t30.getAllSubcomponents("valarm")).toHaveLength(0);

    // 20 days left: the 90- and 30-day reminders are past (left out), the 7-day one is ahead.
    const u = events.get(`${user.sha1}-expiry@smimetrust`)!;
    expect(triggers(u).map((t) => t.trigger)).toEqual(["-P7D"]);
    expect(String(prop(u, "description"))).toContain("Role: user\n");
    expect(String(prop(u, "description"))).not.toContain("Owner:");
  });

  it("a certificate watched in two lists is one set of events naming both; thresholds come from the options", () => {
    const ics = renderCalendar([cert({ owner: "a" }), cert({ scope: "staging", owner: "b" })], {
      thresholds: [14],
      now: NOW,
      domain: "calendar.contoso.example",
    });
    const { events } = parse(ics);
    expect([...events.keys()].sort()).toEqual([
      `${cert().sha1}-14d@calendar.contoso.example`,
      `${cert().sha1}-expiry@calendar.contoso.example`,
    ]);
    const d = String(prop(events.get(`${cert().sha1}-expiry@calendar.contoso.example`)!, "description"));
    expect(d).toContain("Watched in each of: prod, staging\nOwner: a, b\n");
  });

  it("regenerating later keeps every UID and date; only DTSTAMP and past reminders change", () => {
    const certs = [cert(), cert({ sha1: "AA".repeat(20), notAfter: NOW + 10 * DAY, role: "intermediate" })];
    const a = parse(renderCalendar(certs, { thresholds: [90, 30, 7], now: NOW }));
    const b = parse(renderCalendar(certs, { thresholds: [90, 30, 7], now: NOW + 5 * DAY }));
    expect([...b.events.keys()].sort()).toEqual([...a.events.keys()].sort());
    for (const [uid, e] of a.events) {
      const f = b.events.get(uid)!;
      expect(time(f, "dtstart").toString()).toBe(time(e, "dtstart").toString());
      expect(prop(f, "summary")).toBe(prop(e, "summary"));
      expect(prop(f, "sequence")).toBe(prop(e, "sequence"));
    }
    expect(
      time(b.events.get(`${"AA".repeat(20)}-expiry@smimetrust`)!, "dtstamp")
        .toJSDate()
        .getTime(),
    ).toBe(NOW + 5 * DAY);
    // the 7-day reminder of the certificate with 10 days left has passed by then
    expect(triggers(a.events.get(`${"AA".repeat(20)}-expiry@smimetrust`)!).map((t) => t.trigger)).toEqual([
      "-P7D",
    ]);
    expect(triggers(b.events.get(`${"AA".repeat(20)}-expiry@smimetrust`)!)).toEqual([]);
  });

  it("a hostile subject (CR/LF, a forged component, commas, semicolons, backslashes, bidi, very long) stays text", () => {
    const forged = "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:forged@evil\r\nSUMMARY:Pay now";
    const cn = `Evil;Root,\\N "q" \r\n${forged}\u202egnp.exe\u2066 ${"Ünïcødé 漢字 😀 ".repeat(20)}`;
    const subject = `CN=${cn.replace(/,/g, "\\,")},O=x;y`;
    const c = cert({ subject, scope: "list;with,comma\\", owner: "own\ner" });
    const ics = renderCalendar([c], { thresholds: [90, 30, 7], now: NOW, name: "name,with;stuff\n" });
    expectWellFormed(ics);
    expect(ics.split("\r\n").filter((l) => l === "BEGIN:VEVENT")).toHaveLength(4);
    expect(ics).not.toMatch(/\r\n(UID:forged|SUMMARY:Pay)/);
    const { cal, events } = parse(ics);
    expect(events.size).toBe(4);
    expect(events.has("forged@evil")).toBe(false);
    // ical.js knows no type for X-WR-CALNAME and NAME and gives them raw: TEXT escaping, a visible \n
    expect(prop(cal, "x-wr-calname")).toBe("name\\,with\\;stuff\\\\n");
    expect(prop(cal, "name")).toBe("name\\,with\\;stuff\\\\n");
    const e = events.get(`${c.sha1}-expiry@smimetrust`)!;
    // exactly the name, controls and bidi characters shown escaped (as in every text output)
    expect(prop(e, "summary")).toBe(`Certificate expires: ${escapeControls(cn)}`);
    expect(String(prop(e, "summary"))).toContain('Evil;Root,\\N "q" \\r\\nEND:VEVENT\\r\\nBEGIN:VEVENT');
    expect(String(prop(e, "summary"))).toContain("\\u202egnp.exe\\u2066");
    const d = String(prop(e, "description"));
    expect(d).toContain(`Certificate: ${escapeControls(subject)}\n`);
    expect(d).toContain("Watched in: list;with,comma\\\nOwner: own\\ner\n");
    expect(d).not.toMatch(/[\r\u202a-\u202e\u2066-\u2069]/);
    for (const t of triggers(e)) expect(t.description).toContain(escapeControls(cn));
  });

  it("folds at 75 octets without splitting a UTF-8 sequence; unfolding gives the line back", () => {
    for (const s of [
      "a".repeat(200),
      `X:${"é".repeat(100)}`,
      `X:${"😀".repeat(60)}`,
      `X:a${"漢".repeat(90)}`,
    ]) {
      const folded = foldLine(s);
      const lines = folded.split("\r\n");
      for (const [i, l] of lines.entries()) {
        expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
        if (i > 0) expect(l.startsWith(" ")).toBe(true);
        expect(l).not.toContain("\ufffd");
        expect(Buffer.from(l, "utf8").toString("utf8")).toBe(l);
      }
      expect(folded.replace(/\r\n /g, "")).toBe(s);
      expect(Buffer.byteLength(lines[0])).toBeGreaterThan(71); // lines are filled, not broken early
    }
    expect(foldLine("short")).toBe("short");
  });
});

function project(certs: Issued[]) {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-calendar-"));
  mkdirSync(join(dir, "trust"));
  mkdirSync(join(dir, "users"));
  for (const [i, c] of certs.entries())
    writeFileSync(join(dir, c.cert.isCA ? "trust" : "users", `c${i}.pem`), c.pem);
  writeFileSync(
    join(dir, "monitor.json"),
    JSON.stringify({
      schedule: "0 7 * * *",
      trustLists: [{ name: "prod", path: "trust" }],
      userCertificates: [{ name: "staff", path: "users" }],
      thresholds: [
        { days: 60, severity: "info" },
        { days: 14, severity: "warning" },
      ],
      sinks: [{ type: "log" }],
    }),
  );
  return { dir, config: join(dir, "monitor.json") };
}

describe("smimetrust monitor calendar and GET /calendar.ics", () => {
  const r = root("CN=Calendar Root,O=Contoso", { notBefore: NOW - 900 * DAY, notAfter: NOW + 400 * DAY });
  const ca = intermediate("CN=Calendar Issuing CA,O=Contoso", r, {
    notBefore: NOW - 300 * DAY,
    notAfter: NOW + 45 * DAY,
  });
  const alice = leaf("alice@contoso.example", ca, { notBefore: NOW - 30 * DAY, notAfter: NOW + 10 * DAY });

  it("writes the last run's certificates atomically to -o (or stdout), with stable UIDs on re-runs", async () => {
    const p = project([r, ca, alice]);
    const none = await cli(["monitor", "calendar", "--config", p.config, "-o", join(p.dir, "x.ics")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no monitor database yet: run 'smimetrust monitor --once --config .*' first/);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);

    expect((await cli(["monitor", "--config", p.config, "--once"])).code).toBeLessThan(2);
    const out = join(p.dir, "expiries.ics");
    const w = await cli(["monitor", "calendar", "--config", p.config, "-o", out]);
    expect(w.stderr).toMatch(
      /expiries\.ics: 9 events for 3 certificates \(as of the run of 2026-06-01T07:00:00\.000Z\)/,
    );
    expect(w.code).toBe(0);
    expect(w.stdout).toBe("");
    const ics = readFileSync(out, "utf8");
    expectWellFormed(ics);
    const { events } = parse(ics);
    expect([...events.keys()].sort()).toEqual(
      [r, ca, alice]
        .flatMap((x) => ["expiry", "60d", "14d"].map((k) => `${x.cert.sha1}-${k}@smimetrust`))
        .sort(),
    );
    const caEvent = events.get(`${ca.cert.sha1}-expiry@smimetrust`)!;
    expect(time(caEvent, "dtstart").toJSDate().getTime()).toBe(ca.cert.notAfter);
    expect(triggers(caEvent).map((t) => t.trigger)).toEqual(["-P14D"]); // 45 days left: 60 is past
    expect(String(prop(caEvent, "description"))).toContain("Role: intermediate\n");
    expect(String(prop(events.get(`${alice.cert.sha1}-expiry@smimetrust`)!, "description"))).toContain(
      "Role: user\nExpires: ",
    );

    // an existing file needs --force; nothing is written meanwhile
    const again = await cli(["monitor", "calendar", "--config", p.config, "-o", out], NOW + DAY);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists already; use --force");
    expect(readFileSync(out, "utf8")).toBe(ics);

    const forced = await cli(["monitor", "calendar", "--config", p.config, "-o", out, "--force"], NOW + DAY);
    expect(forced.code).toBe(0);
    const later = parse(readFileSync(out, "utf8"));
    expect([...later.events.keys()].sort()).toEqual([...events.keys()].sort());

    const stdout = await cli(["monitor", "calendar", "--config", p.config], NOW + DAY);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toBe(readFileSync(out, "utf8"));
  });

  it("serves /calendar.ics over HTTP on 127.0.0.1", async () => {
    const p = project([r, ca]);
    expect((await cli(["monitor", "--config", p.config, "--once"])).code).toBeLessThan(2);
    const config = loadMonitorConfig(p.config, () => true);
    const store = new MonitorStore(config.database);
    const monitor = new Monitor(config, { store, now: () => NOW + 60_000, log: () => {}, version: "9.9.9" });
    const server = await startMetricsServer({
      port: 0,
      host: "127.0.0.1",
      snapshot: () => monitor.metricsSnapshot(),
      healthy: () => ({ ok: true, detail: "" }),
      calendar: () => monitor.calendar(),
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/calendar.ics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
      const body = await res.text();
      expectWellFormed(body);
      const { cal, events } = parse(body);
      expect(prop(cal, "prodid")).toBe("-//smimetrust//smimetrust 9.9.9//EN");
      expect(events.size).toBe(6);
      const e = events.get(`${r.cert.sha1}-expiry@smimetrust`)!;
      expect(time(e, "dtstamp").toJSDate().getTime()).toBe(NOW + 60_000); // made now
      expect(time(e, "last-modified").toJSDate().getTime()).toBe(NOW); // read by the run at NOW
      const missing = await fetch(`http://127.0.0.1:${server.port}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("/calendar.ics");
    } finally {
      await server.close();
      store.close();
    }
  });
});
