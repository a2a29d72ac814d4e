import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { DEFAULT_THRESHOLDS, loadMonitorConfig, validateMonitorConfig } from "../../src/monitor/config.js";
import { evaluate, type MonitorFinding, type StateEntry, tierFor } from "../../src/monitor/evaluate.js";
import { renderMetrics } from "../../src/monitor/metrics.js";
import { planMessages } from "../../src/monitor/monitor.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

describe("expiry tiers", () => {
  const th = [...DEFAULT_THRESHOLDS].sort((a, b) => b.days - a.days);
  it.each([
    [120, undefined, undefined],
    [90, "90d", "info"],
    [45, "90d", "info"],
    [30, "30d", "warning"],
    [8, "30d", "warning"],
    [7, "7d", "error"],
    [0.5, "7d", "error"],
    [-1, "expired", "error"],
  ])("%s days left -> %s", (days, tier, severity) => {
    const t = tierFor(NOW + days * DAY, NOW, th);
    expect(t?.tier).toBe(tier);
    expect(t?.severity).toBe(severity);
  });
});

function finding(key: string, severity: MonitorFinding["severity"], tier?: string): MonitorFinding {
  return {
    key,
    scope: "prod",
    code: "TRUST_EXPIRING",
    severity,
    message: `m ${key}`,
    ...(tier ? { tier } : {}),
  };
}

describe("evaluate: alerts on change only", () => {
  it("new, unchanged, threshold crossed with the same severity, escalated, resolved", () => {
    const first = evaluate([], [finding("a", "warning", "30d"), finding("b", "info", "90d")], NOW);
    expect(first.alerts.map((a) => `${a.kind}:${a.key}`)).toEqual(["new:a", "new:b"]);
    const same = evaluate(
      first.state,
      [{ ...finding("a", "warning", "30d"), message: "changed days" }, finding("b", "info", "90d")],
      NOW + DAY,
    );
    expect(same.alerts).toEqual([]);
    expect(same.state.find((s) => s.key === "a")?.since).toBe(NOW);
    const crossed = evaluate(
      same.state,
      [finding("a", "warning", "14d"), finding("b", "warning", "30d")],
      NOW + 2 * DAY,
    );
    expect(crossed.alerts.map((a) => `${a.kind}:${a.key}:${a.previousSeverity}`)).toEqual([
      "threshold:a:warning",
      "escalated:b:info",
    ]);
    const lower = evaluate(
      crossed.state,
      [finding("a", "info", "14d"), finding("b", "warning", "30d")],
      NOW + 3 * DAY,
    );
    expect(lower.alerts).toEqual([]);
    const gone = evaluate(lower.state, [finding("b", "warning", "30d")], NOW + 4 * DAY);
    expect(gone.alerts.map((a) => `${a.kind}:${a.key}:${a.severity}`)).toEqual(["resolved:a:info"]);
    expect(gone.alerts[0].hint).toBeUndefined();
  });

  it("a replaced certificate resets its thresholds (new thumbprint, new key)", () => {
    const prev: StateEntry[] = evaluate([], [finding("prod|expiry|OLD", "error", "7d")], NOW).state;
    const next = evaluate(prev, [], NOW + DAY);
    expect(next.alerts.map((a) => a.kind)).toEqual(["resolved"]);
    // the renewed certificate, months later, enters the 90-day window again: a new alert
    const later = evaluate(next.state, [finding("prod|expiry|NEW", "info", "90d")], NOW + 300 * DAY);
    expect(later.alerts.map((a) => `${a.kind}:${a.tier}`)).toEqual(["new:90d"]);
  });

  it("planMessages: per-sink severity floors, one message per change or a digest", () => {
    const { alerts } = evaluate([], [finding("a", "error"), finding("b", "info")], NOW);
    let n = 0;
    const sinks = [
      { type: "log" as const, name: "log" },
      {
        type: "slack" as const,
        name: "slack",
        url: "https://hooks.slack.com/x",
        minSeverity: "error" as const,
      },
    ];
    const per = planMessages(alerts, sinks, {
      mode: "change",
      minSeverity: "info",
      now: NOW,
      newId: () => `id${++n}`,
    });
    // one message per change, to every sink whose floor it passes: one id (the idempotency key) everywhere
    expect(per.map((m) => `${m.message.alerts.map((a) => a.key).join()}>${m.sinks.join()}`)).toEqual([
      "a>log,slack",
      "b>log",
    ]);
    expect(per.map((m) => m.message.id)).toEqual(per.map((m) => m.message.alerts[0].id));
    expect(new Set(per.map((m) => m.message.id)).size).toBe(2);
    const dig = planMessages(alerts, sinks, {
      mode: "digest",
      minSeverity: "info",
      now: NOW,
      newId: () => `id${++n}`,
    });
    expect(dig.map((m) => `${m.message.kind}:${m.message.alerts.length}>${m.sinks.join()}`)).toEqual([
      "digest:2>log",
      "digest:1>slack",
    ]);
  });
});

describe("config validation names the key", () => {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-config-"));
  mkdirSync(join(dir, "trust"));
  const base = {
    schedule: "0 7 * * *",
    trustLists: [{ name: "prod", path: "trust" }],
    sinks: [{ type: "log" }],
  };
  const check = (doc: unknown) =>
    validateMonitorConfig(doc, { exists: existsSync, baseDir: dir, file: "monitor.json" });
  const fails = (doc: unknown): string => {
    try {
      check(doc);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as UsageError).describe();
    }
    throw new Error("accepted");
  };

  it("accepts a good config and fills the defaults (paths relative to the config)", () => {
    const c = check(base);
    expect(c.trustLists[0].paths).toEqual([join(dir, "trust")]);
    expect(c.database).toBe(join(dir, "monitor.sqlite"));
    expect(c.thresholds.map((t) => `${t.days}:${t.severity}`)).toEqual(["90:info", "30:warning", "7:error"]);
    expect(c.alerts).toEqual({ mode: "change", minSeverity: "info", retryMinutes: 15 });
    expect(c.sinks[0].name).toBe("log");
    expect(c.failOn).toBe("warning");
  });

  it("unknown keys, at the top and inside a sink", () => {
    expect(fails({ ...base, schedual: "x" })).toBe(
      "monitor.json: invalid configuration: schedual: unknown key",
    );
    expect(
      fails({ ...base, sinks: [{ type: "webhook", url: "https://example.com/h", header: {} }] }),
    ).toContain("sinks[0].header: unknown key");
    expect(fails({ ...base, sinks: [{ type: "pager" }] })).toContain(
      'sinks[0].type: must be one of "webhook", "teams", "slack", "email", "log"',
    );
  });

  it("bad cron, bad URL, a path that does not exist, a dangling trustList name", () => {
    expect(fails({ ...base, schedule: "every day" })).toMatch(
      /schedule: 'every day' is not a cron expression/,
    );
    expect(fails({ ...base, schedule: "0 25 * * *" })).toMatch(
      /schedule: '0 25 \* \* \*' is not a cron expression/,
    );
    expect(fails({ ...base, sinks: [{ type: "teams", url: "not a url" }] })).toContain(
      "sinks[0].url: 'not a url' is not a URL",
    );
    expect(fails({ ...base, sinks: [{ type: "slack", url: "ftp://x/y" }] })).toContain(
      "must be an http:// or https:// URL",
    );
    expect(fails({ ...base, trustLists: [{ name: "prod", path: "nowhere" }] })).toContain(
      `trustLists[0].path: ${join(dir, "nowhere")} does not exist`,
    );
    expect(fails({ ...base, userCertificates: [{ name: "u", path: "trust", trustList: "nope" }] })).toContain(
      "userCertificates[0].trustList: no trustLists entry is named 'nope'",
    );
    expect(
      fails({ ...base, sinks: [{ type: "email", host: "smtp", from: "monitor", to: ["a@b"] }] }),
    ).toContain("sinks[0].from: 'monitor' is not an e-mail address");
    expect(fails({ schedule: "0 7 * * *", sinks: [] })).toContain("give trustLists or userCertificates");
  });

  it("loadMonitorConfig: a missing file and bad JSON are one-line usage errors", () => {
    expect(() => loadMonitorConfig(join(dir, "none.json"), existsSync)).toThrow(
      /cannot read the configuration: no such file/,
    );
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(() => loadMonitorConfig(join(dir, "bad.json"), existsSync)).toThrow(/not valid JSON/);
  });
});

describe("metrics exposition", () => {
  it("escapes label values and renders every family", () => {
    const text = renderMetrics({
      now: NOW,
      certificates: [{ scope: "prod", sha1: "AB", subject: 'CN=Quote "Root"\\X', notAfter: NOW + 1.5 * DAY }],
      findings: [{ code: "DUPLICATE", severity: "warning", count: 2 }],
      lastRun: { finishedAt: NOW, success: true },
      runs: 3,
    });
    expect(text).toContain(
      `smimetrust_certificate_not_after_timestamp_seconds{list="prod",subject="CN=Quote \\"Root\\"\\\\X",sha1="AB",role="",owner=""} ${(NOW + 1.5 * DAY) / 1000}\n`,
    );
    expect(text).toContain('smimetrust_findings{code="DUPLICATE",severity="warning"} 2\n');
    expect(text).toContain(`smimetrust_last_run_timestamp_seconds ${NOW / 1000}\n`);
    expect(text).toContain("smimetrust_last_run_success 1\n");
  });
});

describe("sink payloads", () => {
  it("Slack: names from certificates cannot mention, link or format (<, >, & escaped everywhere)", async () => {
    const { slackPayload } = await import("../../src/monitor/messages.js");
    const hostile = "<!channel> <https://evil.example|click> & co";
    const payload = slackPayload(
      {
        id: "k1",
        createdAt: NOW,
        kind: "alert",
        alerts: [
          {
            kind: "new",
            key: "prod|x",
            scope: "prod",
            code: "TRUST_EXPIRING",
            severity: "warning",
            message: `'${hostile}' expires soon`,
            subject: `CN=${hostile}`,
            cert: "AB".repeat(20),
            notAfter: NOW + 10 * DAY,
            at: NOW,
          },
        ],
      },
      NOW,
    );
    // every text Slack reads as mrkdwn: the notification text and the mrkdwn blocks (plain_text is not parsed)
    const mrkdwn: string[] = [payload.text];
    JSON.stringify(payload.blocks, (_key, v) => {
      if (v && typeof v === "object" && (v as { type?: string }).type === "mrkdwn")
        mrkdwn.push((v as { text: string }).text);
      return v;
    });
    expect(mrkdwn.length).toBeGreaterThan(3);
    for (const t of mrkdwn) {
      expect(t).not.toContain("<!channel>");
      expect(t).not.toContain("<https://");
    }
    expect(payload.text).toContain("&lt;!channel&gt;");
  });
});
