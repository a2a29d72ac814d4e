/**
 * The monitor's alerts about itself (a monitor that has not run, a sink failing for a day), `monitor status`,
 * snooze/unsnooze from the CLI, and the configuration's new keys refused with the key named.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMonitorConfig, type MonitorConfig, validateMonitorConfig } from "../../src/monitor/config.js";
import { Monitor, missedRuns } from "../../src/monitor/monitor.js";
import { ownerOf } from "../../src/monitor/owners.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { cli } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";
import { type HttpReceiver, httpReceiver } from "./servers.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 7, 0, 0);

let http: HttpReceiver;
beforeAll(async () => {
  http = await httpReceiver();
});
afterAll(async () => {
  await http.close();
});

function project(extra: Record<string, unknown>, notAfter = T0 + 20 * DAY) {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-self-"));
  mkdirSync(join(dir, "trust"));
  const ca = root("CN=Self Check Root,O=Contoso", { notBefore: T0 - 900 * DAY, notAfter });
  writeFileSync(join(dir, "trust", "root.pem"), ca.pem);
  const write = (more: Record<string, unknown> = {}) => {
    writeFileSync(
      join(dir, "monitor.json"),
      JSON.stringify({
        schedule: "0 7 * * *",
        trustLists: [{ name: "prod", path: "trust", owner: "pki-team" }],
        ...extra,
        ...more,
      }),
    );
    return loadMonitorConfig(join(dir, "monitor.json"), existsSync);
  };
  return { dir, tag: dir.slice(-6), ca, write, file: join(dir, "monitor.json") };
}

function start(config: MonitorConfig, clock: { now: number }) {
  const store = new MonitorStore(config.database);
  let n = 0;
  const log: string[] = [];
  const monitor = new Monitor(config, {
    store,
    now: () => clock.now,
    log: (l) => log.push(l),
    env: {},
    newId: () => `msg-${clock.now}-${++n}`,
  });
  return { monitor, store, log };
}

const seq = (path: string) =>
  http.on(path).map((h) => {
    const a = h.body.alerts[0];
    return `${Math.round((Date.parse(h.body.createdAt) - T0) / DAY)} ${a.kind} ${a.code} (${a.owner ?? "-"})`;
  });

describe("the monitor watches itself", () => {
  it("a monitor that has not run: MONITOR_STALE once when it runs again, resolved by the next run; monitor status says STALE", async () => {
    const p = project({});
    const config = p.write({ sinks: [{ type: "webhook", url: http.url(`/stale/${p.tag}`) }] });
    const clock = { now: T0 };
    const h = start(config, clock);
    for (const day of [0, 1, 5, 6, 7]) {
      clock.now = T0 + day * DAY;
      await h.monitor.runOnce();
    }
    expect(seq(`/stale/${p.tag}`)).toEqual([
      "0 new TRUST_EXPIRING (pki-team)",
      "5 new MONITOR_STALE (-)",
      "6 resolved MONITOR_STALE (-)",
    ]);
    expect(http.on(`/stale/${p.tag}`)[1].body.alerts[0].message).toBe(
      "The monitor did not run from 2026-06-02T07:00:00Z to 2026-06-06T07:00:00Z (4 days; 3 scheduled runs missed); nothing was watched meanwhile.",
    );
    h.store.close();
    // three days later, nothing has run: status says so (exit 1)
    const st = await cli(["monitor", "status", "--config", p.file], { now: T0 + 10 * DAY + 3_600_000 });
    expect(st.code).toBe(1);
    expect(st.stdout).toContain("STALE: no run since 2026-06-08 07:00 UTC (3 days; 3 scheduled runs missed)");
  });

  it("staleness is counted on the schedule: a weekday schedule is not stale over the weekend", () => {
    const fri = Date.UTC(2026, 5, 5, 7, 0, 5); // a Friday, just after its run
    const mon = Date.UTC(2026, 5, 8, 7, 0, 0);
    expect(missedRuns("0 7 * * 1-5", undefined, fri, mon - 60_000)).toBe(0);
    expect(missedRuns("0 7 * * 1-5", undefined, fri, mon + DAY - 60_000)).toBe(1);
    expect(missedRuns("0 7 * * *", undefined, fri, mon - 60_000)).toBe(2);
  });

  it("a sink failing for a day: SINK_FAILED once to the other sinks, resolved when it delivers again", async () => {
    const p = project({});
    const ok = { type: "webhook", name: "ok", url: http.url(`/ok/${p.tag}`) };
    const config = p.write({
      sinks: [ok, { type: "webhook", name: "itsm", url: http.url(`/fail/${p.tag}`) }],
    });
    const clock = { now: T0 };
    const h = start(config, clock);
    for (const day of [0, 1, 2]) {
      clock.now = T0 + day * DAY;
      await h.monitor.runOnce();
    }
    const failing = await cli(["monitor", "status", "--config", p.file], { now: T0 + 2 * DAY + 60_000 });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(
      /itsm: FAILING since 2026-06-01 07:00 UTC, 1 message kept: POST http:\/\/127\.0\.0\.1:\d+\/…: HTTP 500 ok/,
    );
    h.store.close();
    // the receiver is fixed (same sink name, a working URL)
    const fixed = p.write({
      sinks: [ok, { type: "webhook", name: "itsm", url: http.url(`/fixed/${p.tag}`) }],
    });
    clock.now = T0 + 3 * DAY;
    const h2 = start(fixed, clock);
    const r = await h2.monitor.runOnce();
    expect(r.delivery.failed).toEqual([]);
    expect(seq(`/ok/${p.tag}`)).toEqual([
      "0 new TRUST_EXPIRING (pki-team)",
      "1 new SINK_FAILED (-)",
      "3 resolved SINK_FAILED (-)",
    ]);
    expect(http.on(`/ok/${p.tag}`)[1].body.alerts[0].message).toBe(
      "Alerts to sink 'itsm' have failed since 2026-06-01T07:00:00Z; its messages are kept and retried.",
    );
    // the backlog reaches the fixed sink; news about its own failure does not
    expect(seq(`/fixed/${p.tag}`)).toEqual(["0 new TRUST_EXPIRING (pki-team)"]);
    h2.store.close();
  });
});

describe("monitor snooze / unsnooze / status", () => {
  it("records who, why and until when; status lists snoozes, expired accepts and owners; unsnooze ends it", async () => {
    const p = project({
      accept: [{ code: "WEAK_ALGORITHM", reason: "legacy partner", expires: "2026-05-01" }],
      sinks: [{ type: "log" }],
    });
    p.write();
    const run = await cli(["monitor", "--config", p.file, "--once"], { now: T0 });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "warning: accept[0] (legacy partner) expired on 2026-05-01: it no longer applies; renew its date or remove it",
    );
    expect(run.stderr).toMatch(/smimetrust alert ! WARNING new TRUST_EXPIRING \[prod\] owner="pki-team" /);
    const z = await cli(
      [
        "monitor",
        "snooze",
        p.ca.cert.sha1.toLowerCase(),
        "--for",
        "2w",
        "--reason",
        "renewal ordered",
        "--by",
        "dana",
        "--config",
        p.file,
      ],
      { now: T0 + 60_000 },
    );
    expect(z.code).toBe(0);
    expect(z.stdout).toBe(
      `snoozed ${p.ca.cert.sha1} until 2026-06-15 07:01 UTC (14 days) by dana: renewal ordered (snooze 1)\n` +
        "it silences 1 open finding (now at most warning, 30 days); a higher severity or expiry itself still alerts:\n" +
        `  warning TRUST_EXPIRING 'Self Check Root' [prod] ${p.ca.cert.sha1}, owner pki-team\n`,
    );
    const st = await cli(["monitor", "status", "--config", p.file], { now: T0 + 120_000 });
    expect(st.code).toBe(0);
    expect(st.stdout).toContain(
      "open findings: 1 (0 error, 1 warning, 0 info)\n  pki-team: 1 (0 error, 1 warning, 0 info), 1 silenced\n",
    );
    expect(st.stdout).toContain(
      `snoozes: 1 active\n  snooze 1: ${p.ca.cert.sha1} until 2026-06-15 07:01 UTC by dana (since 2026-06-01 07:01 UTC): renewal ordered; 1 open finding\n`,
    );
    expect(st.stdout).toContain("accepts (");
    expect(st.stdout).toContain(
      "  accept[0]: WEAK_ALGORITHM: EXPIRED on 2026-05-01, no longer applies: legacy partner\n",
    );
    const js = await cli(["monitor", "status", "--json", "--config", p.file], { now: T0 + 120_000 });
    expect(js.code).toBe(0);
    const doc = JSON.parse(js.stdout);
    expect(doc.snoozes).toEqual([
      {
        id: 1,
        target: p.ca.cert.sha1,
        by: "dana",
        reason: "renewal ordered",
        since: "2026-06-01T07:01:00.000Z",
        until: "2026-06-15T07:01:00.000Z",
        openFindings: 1,
      },
    ]);
    expect(doc.accepts[0]).toMatchObject({ id: "accept[0]", code: "WEAK_ALGORITHM", expired: true });
    expect(doc.openFindings.byOwner).toEqual([
      { owner: "pki-team", total: 1, error: 0, warning: 1, info: 0, silenced: 1 },
    ]);
    expect(doc.stale).toBeNull();
    const u = await cli(["monitor", "unsnooze", p.ca.cert.sha1, "--by", "erin", "--config", p.file], {
      now: T0 + DAY,
    });
    expect(u.code).toBe(0);
    expect(u.stdout).toBe(
      `unsnoozed ${p.ca.cert.sha1}: snooze 1 (by dana, until 2026-06-15 07:01 UTC: renewal ordered) ended; its findings alert again from the next run\n`,
    );
    const again = await cli(["monitor", "unsnooze", p.ca.cert.sha1, "--config", p.file], { now: T0 + DAY });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `smimetrust: no active snooze for ${p.ca.cert.sha1} (monitor status lists them)\n`,
    );
    const bad = await cli(["monitor", "snooze", "NOPE", "--for", "14d", "--reason", "x", "--config", p.file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'NOPE' is neither a problem code .* nor a SHA-1 thumbprint/);
    const badFor = await cli([
      "monitor",
      "snooze",
      "TRUST_EXPIRING",
      "--for",
      "forever",
      "--reason",
      "x",
      "--config",
      p.file,
    ]);
    expect(badFor.code).toBe(2);
    expect(badFor.stderr).toContain(
      "--for: 'forever' is not a duration such as 14d, 36h or 2w (at most 365 days)",
    );
  });
});

describe("configuration: owners, routes, digests, repeats, accepts", () => {
  const base = {
    schedule: "0 7 * * *",
    trustLists: [{ name: "prod", path: "trust" }],
    sinks: [{ type: "log" }],
  };
  const check = (doc: Record<string, unknown>) =>
    validateMonitorConfig(
      { ...base, ...doc },
      { exists: () => true, baseDir: "/etc/smimetrust", file: "monitor.json" },
    );

  it("refuses bad values, each with its key", () => {
    expect(() =>
      check({
        trustLists: [{ name: "prod", path: "trust", certificates: [{ sha1: "12:34" }] }],
        certificates: [{ sha1: "A".repeat(40), source: "nope" }],
        accept: [
          { code: "NOT_A_CODE", reason: "x", expires: "2027-02-30" },
          { sha1: "B".repeat(40), source: "prod", reason: "y", expires: "2027-01-31" },
        ],
        repeat: [
          { below: 30, everyDays: 7 },
          { below: 30, everyDays: 1 },
        ],
        sinks: [
          { type: "log", mode: "digest" },
          { type: "log", name: "l2", schedule: "0 7 * * 1" },
          { type: "log", name: "l3", mode: "digest", schedule: "every day" },
          { type: "log", name: "l4", default: true, route: { owners: ["x"] } },
        ],
      }),
    ).toThrow(
      "invalid configuration: trustLists[0].certificates[0].sha1: '12:34' is not a SHA-1 thumbprint (40 hex digits); " +
        'sinks[0].schedule: required with "mode": "digest" (a cron expression); ' +
        'sinks[1].schedule: only a sink with "mode": "digest" has a schedule; ' +
        "sinks[2].schedule: 'every day' is not a cron expression (invalid configuration format ('every day'), exactly five, six, or seven space separated parts are required.); " +
        "sinks[3].default: a default sink takes what no route claimed, so it has no route of its own; " +
        "certificates[0].source: no trustLists or userCertificates entry is named 'nope'; " +
        "repeat: two rules have the same below; " +
        "accept[0].code: 'NOT_A_CODE' is not a problem code; " +
        "accept[0].expires: '2027-02-30' is not a date (YYYY-MM-DD)",
    );
    expect(() => check({ sinks: [{ type: "log", route: { owner: ["x"] } }] })).toThrow(
      "invalid configuration: sinks[0].route.owner: unknown key",
    );
    expect(() =>
      check({ trustLists: [{ name: "prod", path: "trust", owner: "pki", labels: { "bad key": "x" } }] }),
    ).toThrow(
      "invalid configuration: trustLists[0].labels: 'bad key' is not a label name (letters, digits, _ . -, not starting with a digit)",
    );
    expect(() => check({ accept: [{ reason: "x", expires: "2027-01-01" }] })).toThrow(
      "invalid configuration: accept[0].sha1: required; accept[0].code: required",
    );
  });

  it("ownerOf: a certificate's own entry wins over a top-level one, which wins over its source; labels merge", () => {
    const sha1 = "AB".repeat(20);
    const c = check({
      trustLists: [
        {
          name: "prod",
          path: "trust",
          owner: "pki-team",
          labels: { team: "pki", env: "prod" },
          certificates: [{ sha1: sha1.toLowerCase(), labels: { env: "legacy" } }],
        },
      ],
      certificates: [
        { sha1, owner: "archive", labels: { keep: "yes" } },
        { sha1, source: "prod", labels: { keep: "no" } },
      ],
    });
    expect(ownerOf(c, "prod", sha1)).toEqual({
      owner: "archive",
      labels: { team: "pki", env: "legacy", keep: "no" },
    });
    expect(ownerOf(c, "prod", "CD".repeat(20))).toEqual({
      owner: "pki-team",
      labels: { team: "pki", env: "prod" },
    });
    expect(ownerOf(c, "prod", undefined)).toEqual({
      owner: "pki-team",
      labels: { team: "pki", env: "prod" },
    });
    expect(ownerOf(c, "monitor", undefined)).toEqual({ labels: {} });
    const x = check({
      exchangeTenants: [
        { name: "exo", tenants: "tenants.json", owner: "messaging", labels: { cloud: "m365" } },
      ],
    });
    expect(ownerOf(x, "exo/contoso", "CD".repeat(20))).toEqual({
      owner: "messaging",
      labels: { cloud: "m365" },
    });
    expect(ownerOf(x, "exo-other", undefined)).toEqual({ labels: {} });
  });
});

describe("digest rendering escapes hostile text for its medium", () => {
  it("HTML for e-mail, mrkdwn for Slack, one line per finding in the log", async () => {
    const { summaryHtml, logLines, slackPayload } = await import("../../src/monitor/messages.js");
    const m = {
      id: "d-1",
      createdAt: T0,
      kind: "summary" as const,
      alerts: [],
      summary: [
        {
          key: "k1",
          scope: "prod",
          code: "TRUST_EXPIRING",
          severity: "warning" as const,
          message: "m",
          owner: "<script>alert(1)</script>",
          subject: "CN=<b>Evil</b> & <!channel>\nforged line",
          cert: "AB".repeat(20),
          notAfter: T0 + 10 * DAY,
          tier: "30d",
          since: T0,
        },
      ],
    };
    const html = summaryHtml(m, T0);
    expect(html).toContain("<h2>Owner &lt;script&gt;alert(1)&lt;/script&gt; (1)</h2>");
    expect(html).toContain("&#39;&lt;b&gt;Evil&lt;/b&gt; &amp; &lt;!channel&gt;\\nforged line&#39;");
    expect(html).not.toContain("<script>");
    const slack = JSON.stringify(slackPayload(m, T0));
    expect(slack).not.toContain("<!channel>");
    expect(slack).toContain("&lt;!channel&gt;");
    const lines = logLines(m, T0);
    expect(lines).toEqual([
      "2026-06-01T07:00:00Z smimetrust digest 1 open finding (1 warning), 1 owner id=d-1",
      "2026-06-01T07:00:00Z smimetrust digest Owner <script>alert(1)</script> (1): digest=d-1",
      "2026-06-01T07:00:00Z smimetrust digest ! WARNING (1): digest=d-1",
      `2026-06-01T07:00:00Z smimetrust digest - TRUST_EXPIRING '<b>Evil</b> & <!channel>\\nforged line' [prod]; thumbprint ${"AB".repeat(20)}; expires 2026-06-11 07:00 UTC (10 days left); open since 2026-06-01 digest=d-1`,
    ]);
  });
});

describe("monitor digest (on demand) and the bundled routing example", () => {
  it("sends the digest sinks a summary now; refuses an unknown sink; the example config is valid", async () => {
    const p = project({});
    p.write({
      sinks: [
        {
          type: "webhook",
          name: "weekly",
          url: http.url(`/ondemand/${p.tag}`),
          mode: "digest",
          schedule: "0 8 * * 1",
        },
      ],
    });
    const none = await cli(["monitor", "digest", "--config", p.file], { now: T0 });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("the monitor has not run yet: there is nothing to summarise");
    expect((await cli(["monitor", "--config", p.file, "--once"], { now: T0 })).code).toBe(1);
    expect(http.on(`/ondemand/${p.tag}`)).toHaveLength(0); // its first run only sets the schedule's mark
    const d = await cli(["monitor", "digest", "--config", p.file], { now: T0 + 60_000 });
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^digest to weekly: 1 open finding, sent \(message [0-9a-f-]{36}\)\n$/);
    const got = http.on(`/ondemand/${p.tag}`);
    expect(got).toHaveLength(1);
    expect(got[0].body.type).toBe("summary");
    expect(got[0].body.title).toBe("smimetrust digest: 1 open finding (1 warning), 1 owner");
    expect(got[0].body.groups[0].owner).toBe("pki-team");
    const bad = await cli(["monitor", "digest", "--sink", "nope", "--config", p.file], { now: T0 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--sink: no sink is named 'nope' (sinks: weekly)");
    const ex = loadMonitorConfig(join(__dirname, "..", "..", "examples", "monitor-routing.json"), existsSync);
    expect(ex.sinks.map((s) => `${s.name}:${s.route ? "route" : s.default ? "default" : s.mode}`)).toEqual([
      "pki:route",
      "messaging:route",
      "everything-else:default",
      "weekly:digest",
    ]);
  });
});

describe("the long-running monitor", () => {
  it("says at start-up that it has not run for too long, and sends digests on their own schedule", async () => {
    const { spawn } = await import("node:child_process");
    const p = project({});
    const config = p.write({
      schedule: "0 0 1 1 *",
      runOnStart: false,
      sinks: [{ type: "log", name: "every-second", mode: "digest", schedule: "*/1 * * * * *" }],
    });
    // a run three years ago, then nothing
    const old = Date.now() - 3 * 366 * DAY;
    const store = new MonitorStore(config.database);
    const id = store.startRun(old);
    store.commitRun({
      runId: id,
      finishedAt: old,
      status: "ok",
      findings: [],
      state: [],
      alerts: [],
      messages: [],
      certificates: new Map(),
    });
    store.close();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "monitor", "--config", p.file],
      {
        cwd: join(__dirname, "..", ".."),
      },
    );
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err += d));
    try {
      const end = Date.now() + 20_000;
      while (Date.now() < end && !/smimetrust digest/.test(err)) await new Promise((r) => setTimeout(r, 50));
      expect(err).toMatch(
        /warning: the monitor has not run since \S+ \(\d+ days; \d+ scheduled runs missed\); the next run alerts \(MONITOR_STALE\)/,
      );
      expect(err).toMatch(/smimetrust digest no open findings id=\S+ sink=every-second/);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  }, 30_000);
});

describe("the database migration", () => {
  it("adds snoozes, digest marks and deliveries.first_failed_at to a database of the previous version, once", async () => {
    const { default: Database } = await import("better-sqlite3");
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-migrate-"));
    const file = join(dir, "monitor.sqlite");
    new MonitorStore(file).close();
    // back to the previous version's layout
    const db = new Database(file);
    db.exec("ALTER TABLE deliveries DROP COLUMN first_failed_at; DROP TABLE snoozes; DROP TABLE digests;");
    db.pragma("user_version = 0");
    db.close();
    const s = new MonitorStore(file);
    const z = s.addSnooze({
      target: "TRUST_EXPIRING",
      by: "dana",
      reason: "r",
      createdAt: T0,
      until: T0 + DAY,
    });
    expect(s.activeSnoozes(T0).map((x) => x.id)).toEqual([z.id]);
    expect(s.sinkFailingSince("x")).toBeUndefined();
    expect(s.db.pragma("user_version", { simple: true })).toBe(1);
    s.close();
    const again = new MonitorStore(file); // opening a migrated database changes nothing
    expect(again.activeSnoozes(T0)).toHaveLength(1);
    again.close();
  });
});
