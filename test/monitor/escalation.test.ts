/**
 * The acceptance walk: 120 days, one run a day, real SQLite, real HTTP and SMTP receivers on
 * 127.0.0.1. Thresholds 90/30/7 and weekly reminders below 30 days; owners routed to their own sinks (the
 * rest to the default sink); snoozes made with the real CLI; a successor that stops the reminders; an
 * accept that expires; a weekly digest of every open finding.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMonitorConfig } from "../../src/monitor/config.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { cli } from "../helpers/cli.js";
import { leaf, root } from "../helpers/pki.js";
import { type HttpReceiver, httpReceiver, type SmtpReceiver, smtpReceiver } from "./servers.js";

const DAY = 86_400_000;
/** A Monday, 07:00 UTC: the runs' time ("0 7 * * *") and the digests' ("0 7 * * 1"). */
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

const dayOf = (ms: number) => Math.round((ms - T0) / DAY);

describe("120 days of one monitor: routing, escalation, repeats, snoozes, successors, accepts, digests", () => {
  it("sends the exact sequence of messages per owner", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-walk-"));
    const tag = dir.slice(-6);
    for (const d of ["trust", "partners", "users"]) mkdirSync(join(dir, d));
    const pem = (file: string, text: string) => writeFileSync(join(dir, file), text);

    // pki-team's list: a root that runs out, an issuing root renewed on day 40, a legacy root kept knowingly
    const contoso = root("CN=Contoso Root CA,O=Contoso", {
      notBefore: T0 - 900 * DAY,
      notAfter: T0 + 100 * DAY,
    });
    const issuing = root("CN=Contoso Issuing Root,O=Contoso", {
      notBefore: T0 - 900 * DAY,
      notAfter: T0 + 60 * DAY,
    });
    const issuing2 = root("CN=Contoso Issuing Root,O=Contoso", {
      key: issuing.key,
      notBefore: T0 + 39 * DAY,
      notAfter: T0 + 800 * DAY,
    });
    const legacy = root("CN=Legacy [Root](https://evil.example),O=Old", {
      notBefore: T0 - 3000 * DAY,
      notAfter: T0 - 10 * DAY,
    });
    pem("trust/contoso.pem", contoso.pem);
    pem("trust/issuing.pem", issuing.pem);
    pem("trust/legacy.pem", legacy.pem);
    // a partner's list nobody owns: the default sink's
    const partner = root("CN=Partner Root,O=Partner", { notBefore: T0 - 900 * DAY, notAfter: T0 + 20 * DAY });
    pem("partners/partner.pem", partner.pem);
    // mail-team's users (routed by label)
    const mailCa = root("CN=Contoso Mail CA,O=Contoso", {
      notBefore: T0 - 900 * DAY,
      notAfter: T0 + 3000 * DAY,
    });
    const alice = leaf("alice@contoso.com", mailCa, { notBefore: T0 - 300 * DAY, notAfter: T0 + 45 * DAY });
    const bob = leaf("bob@contoso.com", mailCa, { notBefore: T0 - 300 * DAY, notAfter: T0 + 40 * DAY });
    const bob2 = leaf("bob@contoso.com", mailCa, {
      notBefore: T0 + 44 * DAY,
      notAfter: T0 + 400 * DAY,
    });
    expect(bob2.cert.subject.toString()).toBe(bob.cert.subject.toString());
    pem("users/alice.pem", alice.pem);
    pem("users/bob.pem", bob.pem);

    const cfg = {
      schedule: "0 7 * * *",
      thresholds: [
        { days: 90, severity: "info" },
        { days: 30, severity: "warning" },
        { days: 7, severity: "error" },
      ],
      repeat: [{ below: 30, everyDays: 7 }],
      trustLists: [
        {
          name: "production",
          path: "trust",
          owner: "pki-team",
          labels: { team: "pki" },
          certificates: [{ sha1: legacy.cert.sha1, owner: "legacy-owners" }],
        },
        { name: "partners", path: "partners" },
      ],
      userCertificates: [{ name: "staff", path: "users", owner: "mail-team", labels: { team: "mail" } }],
      accept: [
        {
          sha1: legacy.cert.sha1,
          code: "TRUST_EXPIRED",
          reason: "old mail archive still signed with it",
          expires: "2026-07-31",
        },
      ],
      sinks: [
        { type: "webhook", name: "pki", url: http.url(`/pki/${tag}`), route: { owners: ["pki-team"] } },
        {
          type: "email",
          name: "mail",
          host: "127.0.0.1",
          port: smtp.port,
          from: "monitor@contoso.com",
          to: [`mail-${tag}@contoso.com`],
          route: { labels: { team: "mail" } },
        },
        { type: "webhook", name: "rest", url: http.url(`/default/${tag}`), default: true },
        {
          type: "webhook",
          name: "digest",
          url: http.url(`/digest/${tag}`),
          mode: "digest",
          schedule: "0 7 * * 1",
        },
        {
          type: "teams",
          name: "teams-digest",
          url: http.url(`/teams/${tag}`),
          mode: "digest",
          schedule: "0 7 * * 1",
        },
        {
          type: "email",
          name: "mail-digest",
          host: "127.0.0.1",
          port: smtp.port,
          from: "monitor@contoso.com",
          to: [`digest-${tag}@contoso.com`],
          mode: "digest",
          schedule: "0 7 * * 1",
          route: { owners: ["mail-team"] },
        },
      ],
    };
    writeFileSync(join(dir, "monitor.json"), JSON.stringify(cfg, null, 2));
    const config = loadMonitorConfig(join(dir, "monitor.json"), existsSync);
    const clock = { now: T0 };
    const store = new MonitorStore(config.database);
    let n = 0;
    const monitor = new Monitor(config, {
      store,
      now: () => clock.now,
      log: () => undefined,
      env: {},
      newId: () => `msg-${clock.now}-${++n}`,
    });
    const snooze = async (target: string, days: number, reason: string) => {
      const r = await cli(
        [
          "monitor",
          "snooze",
          target,
          "--for",
          `${days}d`,
          "--reason",
          reason,
          "--by",
          "dana",
          "--config",
          join(dir, "monitor.json"),
        ],
        { now: clock.now + 30 * 60_000 },
      );
      expect(r.code).toBe(0);
      return r.stdout;
    };

    const digestChecks: number[] = [];
    let snoozeOut = "";
    for (let day = 0; day < 120; day++) {
      clock.now = T0 + day * DAY;
      if (day === 40) pem("trust/issuing2.pem", issuing2.pem);
      if (day === 45) pem("users/bob2.pem", bob2.pem);
      if (day === 50) rmSync(join(dir, "users/alice.pem"));
      if (day === 60) rmSync(join(dir, "partners/partner.pem"));
      if (day === 60) pem("partners/partner.pem", root("CN=Partner Root 2,O=Partner", { now: T0 }).pem);
      if (day === 70) rmSync(join(dir, "trust/legacy.pem"));
      if (day === 110) rmSync(join(dir, "trust/issuing.pem"));
      const before = http.on(`/digest/${tag}`).length;
      const r = await monitor.runOnce();
      expect(r.delivery.failed).toEqual([]);
      const digests = http.on(`/digest/${tag}`).slice(before);
      if (digests.length) {
        // every open finding once, and nothing else
        expect(digests).toHaveLength(1);
        const keys = digests[0].body.groups.flatMap((g: { severities: { findings: { key: string }[] }[] }) =>
          g.severities.flatMap((s) => s.findings.map((f) => f.key)),
        );
        expect(new Set(keys).size).toBe(keys.length);
        expect([...keys].sort()).toEqual(
          store
            .loadState()
            .map((s) => s.key)
            .sort(),
        );
        digestChecks.push(day);
      }
      if (day === 12) await snooze(bob.cert.sha1, 30, "renewal ordered, CHG-1042");
      if (day === 16) snoozeOut = await snooze(alice.cert.sha1, 14, "alice is on leave");
    }
    expect(snoozeOut).toContain(
      `snoozed ${alice.cert.sha1} until 2026-07-01 07:30 UTC (14 days) by dana: alice is on leave`,
    );
    expect(digestChecks).toEqual([7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98, 105, 112, 119]);

    const hooks = (path: string) =>
      http.on(`/${path}/${tag}`).map((h) => {
        const a = h.body.alerts[0];
        const who = a.certificate?.name ? ` ${a.certificate.name}` : "";
        expect(h.body.alerts).toHaveLength(1);
        return `${dayOf(Date.parse(h.body.createdAt))} ${a.kind} ${a.code}${who} (${a.owner ?? "-"})`;
      });
    expect(hooks("pki")).toEqual([
      "0 new TRUST_EXPIRING Contoso Issuing Root (pki-team)",
      "10 new TRUST_EXPIRING Contoso Root CA (pki-team)",
      "30 escalated TRUST_EXPIRING Contoso Issuing Root (pki-team)",
      "37 repeat TRUST_EXPIRING Contoso Issuing Root (pki-team)",
      "40 superseded TRUST_EXPIRING Contoso Issuing Root (pki-team)",
      "70 escalated TRUST_EXPIRING Contoso Root CA (pki-team)",
      "77 repeat TRUST_EXPIRING Contoso Root CA (pki-team)",
      "84 repeat TRUST_EXPIRING Contoso Root CA (pki-team)",
      "91 repeat TRUST_EXPIRING Contoso Root CA (pki-team)",
      "93 escalated TRUST_EXPIRING Contoso Root CA (pki-team)",
      "100 repeat TRUST_EXPIRING Contoso Root CA (pki-team)",
      "101 threshold TRUST_EXPIRED Contoso Root CA (pki-team)",
      "108 repeat TRUST_EXPIRED Contoso Root CA (pki-team)",
      "115 repeat TRUST_EXPIRED Contoso Root CA (pki-team)",
    ]);
    // the default sink: what no route claimed (no owner; the legacy root's own owner, set per certificate)
    expect(hooks("default")).toEqual([
      "0 new TRUST_EXPIRING Partner Root (-)",
      "7 repeat TRUST_EXPIRING Partner Root (-)",
      "13 escalated TRUST_EXPIRING Partner Root (-)",
      "20 repeat TRUST_EXPIRING Partner Root (-)",
      "21 threshold TRUST_EXPIRED Partner Root (-)",
      "28 repeat TRUST_EXPIRED Partner Root (-)",
      "35 repeat TRUST_EXPIRED Partner Root (-)",
      "42 repeat TRUST_EXPIRED Partner Root (-)",
      "49 repeat TRUST_EXPIRED Partner Root (-)",
      "56 repeat TRUST_EXPIRED Partner Root (-)",
      // accepted until 2026-07-31 (day 60): silent until then, then it says so and reminds again
      "60 unmuted TRUST_EXPIRED Legacy [Root](https://evil.example) (legacy-owners)",
      "60 resolved TRUST_EXPIRED Partner Root (-)",
      "67 repeat TRUST_EXPIRED Legacy [Root](https://evil.example) (legacy-owners)",
      "70 resolved TRUST_EXPIRED Legacy [Root](https://evil.example) (legacy-owners)",
    ]);
    const unmuted = http.on(`/default/${tag}`).find((h) => h.body.alerts[0].kind === "unmuted")!;
    expect(unmuted.body.alerts[0].note).toBe(
      "The exception accept[0] (old mail archive still signed with it) expired on 2026-07-31.",
    );

    const mails = smtp.mails
      .filter((m) => m.to.includes(`mail-${tag}@contoso.com`))
      .map((m) => {
        const id = /X-Smimetrust-Idempotency-Key: msg-(\d+)-/.exec(m.raw)?.[1];
        const kind = /Status:\s+.*\(([a-z ]+)\)/.exec(m.text)?.[1];
        const code = /Code:\s+(\S+)/.exec(m.text)?.[1];
        const cert = /Certificate:\s+(\S+)/.exec(m.text)?.[1];
        const owner = /Owner:\s+(\S+)/.exec(m.text)?.[1];
        return `${dayOf(Number(id))} ${kind} ${code} ${cert} (${owner})`;
      });
    expect(mails).toEqual([
      "0 new CERT_EXPIRING alice (mail-team)",
      "0 new CERT_EXPIRING bob (mail-team)",
      "10 escalated CERT_EXPIRING bob (mail-team)",
      // bob snoozed on day 12 for 30 days: his reminders of days 17, 24 and 31 are silenced
      "15 escalated CERT_EXPIRING alice (mail-team)",
      // alice snoozed on day 16 for 14 days: her reminders of days 22 and 29 are silenced; then she is back
      "31 no longer silenced CERT_EXPIRING alice (mail-team)",
      // bob gets worse than when he was snoozed (error): that breaks through, and reminders go on
      "33 escalated CERT_EXPIRING bob (mail-team)",
      "38 escalated CERT_EXPIRING alice (mail-team)",
      "40 reminder CERT_EXPIRING bob (mail-team)",
      "41 threshold crossed CERT_EXPIRED bob (mail-team)",
      "45 reminder CERT_EXPIRING alice (mail-team)",
      // bob's successor arrives: one notice, then silence (no more weekly reminders)
      "45 superseded CERT_EXPIRED bob (mail-team)",
      "46 threshold crossed CERT_EXPIRED alice (mail-team)",
      // alice's certificate leaves the folder: resolved, reminders stop
      "50 resolved CERT_EXPIRED alice (mail-team)",
    ]);
    const mailText = smtp.mails.filter((m) => m.to.includes(`mail-${tag}@contoso.com`)).map((m) => m.text);
    expect(mailText[5]).toMatch(
      /Note:\s+Worse than when it was snoozed until 2026-07-13 07:30 UTC by dana: renewal ordered, CHG-1042\./,
    );
    expect(mailText[4]).toMatch(/Note:\s+The snooze by dana \(alice is on leave\) is over\./);
    expect(mailText[10]).toMatch(new RegExp(`Successor:\\s+${bob2.cert.sha1}`));

    // the e-mail digest (mail-team's route): HTML, grouped by owner and severity
    const digestMails = smtp.mails.filter((m) => m.to.includes(`digest-${tag}@contoso.com`));
    expect(digestMails).toHaveLength(17);
    expect(digestMails[0].raw).toContain("Content-Type: text/html");
    expect(digestMails[0].text).toContain("<h2>Owner mail-team (2)</h2>");
    expect(digestMails[0].text).not.toContain("pki-team");
    // the Teams digest: Markdown, escaped like the alert cards
    const teams = http.on(`/teams/${tag}`);
    expect(teams).toHaveLength(17);
    const md = teams[8].body.attachments[0].content.body[1].text as string; // day 63
    expect(md).toContain("**Owner pki-team** (2)\n**✗ ERROR** (1)\n- TRUST\\_EXPIRED 'Contoso Issuing Root'");
    expect(md).toContain("superseded by ");
    expect(md).toContain("'Legacy \\[Root\\](https://evil.example)'");
    expect(md).not.toContain("[Root](https");
    store.close();
  }, 120_000);
});
