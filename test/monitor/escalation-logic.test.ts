/** The pure parts of reminders, snoozes, accepts, successors and routing, case by case. */
import { describe, expect, it } from "vitest";
import { successorOf } from "../../src/monitor/collect.js";
import type { SinkConfig } from "../../src/monitor/config.js";
import { evaluate, type MonitorFinding, type Mute, type StateEntry } from "../../src/monitor/evaluate.js";
import { sinksTaking } from "../../src/monitor/monitor.js";
import { intermediate, leaf, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 7, 0, 0);

const finding = (over: Partial<MonitorFinding> = {}): MonitorFinding => ({
  key: "prod|expiry|AA",
  scope: "prod",
  code: "TRUST_EXPIRING",
  severity: "warning",
  message: "m",
  cert: "AA",
  tier: "30d",
  notAfter: T0 + 20 * DAY,
  ...over,
});

/** Runs evaluate day by day from T0; returns "day:kind" for every alert not silenced. */
function walk(days: number, f: (day: number) => MonitorFinding[], opts: Parameters<typeof evaluate>[3] = {}) {
  let state: StateEntry[] = [];
  const out: string[] = [];
  for (let d = 0; d < days; d++) {
    const r = evaluate(state, f(d), T0 + d * DAY, opts);
    state = r.state;
    for (const a of r.alerts) out.push(`${d}:${a.kind}${a.suppressed ? `(${a.suppressed})` : ""}`);
  }
  return out;
}

describe("reminders", () => {
  const repeat = [
    { below: 7, everyDays: 1 },
    { below: 30, everyDays: 7 },
  ];
  it("repeat expiry findings by the narrowest rule; other findings about a certificate do not repeat", () => {
    // 10 days left on day 0: weekly; from 6 days left (day 4) daily, on past expiry
    expect(walk(16, () => [finding({ notAfter: T0 + 10 * DAY, tier: "30d" })], { repeat })).toEqual([
      "0:new",
      ...Array.from({ length: 12 }, (_, i) => `${i + 4}:repeat`),
    ]);
    const weak = finding({ key: "prod|WEAK_ALGORITHM|AA", code: "WEAK_ALGORITHM", tier: undefined });
    expect(walk(30, () => [weak], { repeat })).toEqual(["0:new"]);
  });
});

describe("snoozes and accepts", () => {
  const snooze: Mute = {
    kind: "snooze",
    id: "snooze 1",
    until: T0 + 100 * DAY,
    reason: "r",
    by: "dana",
    severity: "warning",
    tier: "30d",
  };
  const accept: Mute = { kind: "accept", id: "accept[0]", until: T0 + 100 * DAY, reason: "r" };
  const course = (d: number) => [
    d < 5
      ? finding({ severity: "warning", tier: "30d" })
      : d < 8
        ? finding({ severity: "error", tier: "7d" })
        : finding({ code: "TRUST_EXPIRED", severity: "error", tier: "expired" }),
  ];
  it("a snooze lets through what is worse than when it was made (a higher severity, expiry)", () => {
    expect(walk(10, course, { mute: () => snooze })).toEqual([
      "0:new(snoozed)",
      "5:escalated",
      "8:threshold",
    ]);
    // snoozed at error: expiry itself still breaks through
    expect(walk(10, course, { mute: () => ({ ...snooze, severity: "error", tier: "7d" }) })).toEqual([
      "0:new(snoozed)",
      "5:escalated(snoozed)",
      "8:threshold",
    ]);
  });
  it("an accept silences everything until it goes; then one message says so", () => {
    expect(walk(10, course, { mute: () => accept })).toEqual([
      "0:new(accepted)",
      "5:escalated(accepted)",
      "8:threshold(accepted)",
    ]);
    let state: StateEntry[] = [];
    state = evaluate(state, [finding()], T0, { mute: () => accept }).state;
    const removed = evaluate(state, [finding()], T0 + DAY, { mute: () => undefined });
    expect(removed.alerts.map((a) => [a.kind, a.note])).toEqual([
      ["unmuted", "The exception accept[0] (r) is no longer in the configuration."],
    ]);
  });
});

describe("successors", () => {
  it("same subject and key chain, later notAfter; a renewed root with a new key too; not another CA's certificate", () => {
    const r1 = root("CN=Contoso Root,O=Contoso", { now: T0, days: 100 });
    const r2 = root("CN=Contoso Root,O=Contoso", { now: T0, days: 3000 }); // new key, self-issued
    const other = root("CN=Fabrikam Root,O=Fabrikam", { now: T0, days: 4000 });
    expect(successorOf(r1.cert, [r1.cert, r2.cert, other.cert])?.sha1).toBe(r2.cert.sha1);
    expect(successorOf(r2.cert, [r1.cert, r2.cert])).toBeUndefined(); // earlier is no successor
    const ca = intermediate("CN=Contoso Issuing,O=Contoso", r1, { now: T0 });
    const ca2 = intermediate("CN=Contoso Issuing,O=Contoso", r2, { now: T0, days: 4000 });
    const u1 = leaf("ann@contoso.com", ca, { now: T0, days: 30 });
    const u2 = leaf("ann@contoso.com", ca, { now: T0, days: 400 }); // same issuer and AKI
    const u3 = leaf("ann@contoso.com", ca2, { now: T0, days: 500 }); // another issuer key, another key
    expect(successorOf(u1.cert, [u1.cert, u2.cert])?.sha1).toBe(u2.cert.sha1);
    expect(successorOf(u1.cert, [u1.cert, u3.cert])).toBeUndefined();
    // the same key re-certified elsewhere counts (the same key)
    const u4 = leaf("ann@contoso.com", ca2, { now: T0, days: 500, key: u1.key });
    expect(successorOf(u1.cert, [u1.cert, u4.cert])?.sha1).toBe(u4.cert.sha1);
  });
});

describe("routing", () => {
  const sinks = [
    { type: "log", name: "pki", route: { owners: ["pki-team"], minSeverity: "error" } },
    { type: "log", name: "mail", route: { labels: { team: "mail" } } },
    { type: "log", name: "rest", default: true },
    { type: "log", name: "all" },
  ] as SinkConfig[];
  const names = (a: Parameters<typeof sinksTaking>[0]) => sinksTaking(a, sinks, "info").map((s) => s.name);
  it("routes by owner and labels; the default takes what no route claims, even below a route's floor", () => {
    const base = { code: "TRUST_EXPIRING", scope: "prod" };
    expect(names({ ...base, owner: "pki-team", severity: "error" })).toEqual(["pki", "all"]);
    expect(names({ ...base, owner: "pki-team", severity: "warning" })).toEqual(["all"]);
    expect(names({ ...base, owner: "x", labels: { team: "mail" }, severity: "info" })).toEqual([
      "mail",
      "all",
    ]);
    expect(names({ ...base, severity: "info" })).toEqual(["rest", "all"]);
    expect(names({ code: "SINK_FAILED", scope: "sink:all", severity: "error" })).toEqual(["rest"]);
  });
});
