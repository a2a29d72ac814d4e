/**
 * The dashboard's data without HTTP: the chain tree's marks, inventory filters and sorting from URL
 * parameters, CSV without formula injection, the forecast buckets and the stale rule.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chainTree } from "../../src/web/chain.js";
import { staleness } from "../../src/web/history.js";
import {
  filterRows,
  forecast,
  inventoryCsv,
  loadDashboard,
  parseInventoryQuery,
  queryString,
} from "../../src/web/model.js";
import { intermediate, issue, leaf, makeKey, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const dir = mkdtempSync(join(tmpdir(), "smimetrust-web-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, pem: string): string {
  const p = join(dir, name);
  writeFileSync(p, pem);
  return p;
}

describe("chain tree", () => {
  it("marks a missing issuer, an expired parent, a non-CA in the list and a re-keyed CA that breaks its children", async () => {
    const good = root("CN=Good Root", { now: NOW });
    const goodIca = intermediate("CN=Good Issuing", good, { now: NOW });
    const oldRoot = root("CN=Old Root", { now: NOW, notBefore: NOW - 900 * DAY, notAfter: NOW - DAY });
    const underOld = intermediate("CN=Under Old", oldRoot, {
      now: NOW,
      notBefore: NOW - 800 * DAY,
      notAfter: NOW + 300 * DAY,
    });
    const absent = root("CN=Absent Root", { now: NOW });
    const orphan = intermediate("CN=Orphan Issuing", absent, { now: NOW });
    // The same name re-issued with a new key: what the old key signed no longer verifies.
    const before = root("CN=Rekeyed Root", { now: NOW });
    const child = intermediate("CN=Child Of Old Key", before, { now: NOW });
    const after = root("CN=Rekeyed Root", { now: NOW, key: makeKey({ type: "ec" }) });
    const user = leaf("ann@example.com", goodIca, { now: NOW });
    const inList = leaf("bob@example.com", goodIca, { now: NOW });
    const files = [good, goodIca, oldRoot, underOld, orphan, child, after, inList].map((c, i) =>
      write(`c${i}.pem`, c.pem),
    );
    const d = await loadDashboard({ inputs: files, leaves: [write("user.pem", user.pem)], now: NOW });
    const t = chainTree(d);
    const find = (name: string) => {
      const walk = (
        ns: ReturnType<typeof chainTree>["roots"],
      ): ReturnType<typeof chainTree>["roots"][number] | undefined => {
        for (const n of ns) {
          if (n.cert.name === name) return n;
          const x = walk(n.children);
          if (x) return x;
        }
        return undefined;
      };
      return walk([...t.roots, ...t.orphans]);
    };
    expect(t.roots.map((n) => n.cert.name).sort()).toEqual(["Good Root", "Old Root", "Rekeyed Root"]);
    expect(find("Good Root")!.children.map((n) => n.cert.name)).toEqual(["Good Issuing"]);
    const gi = find("Good Issuing")!;
    expect(gi.children.map((n) => [n.cert.name, n.user, n.marks])).toEqual([
      ["bob", false, ["not-a-ca"]],
      ["ann", true, []],
    ]);
    expect(find("Old Root")!.marks).toEqual(["expired"]);
    expect(find("Under Old")!.marks).toEqual(["expired-parent"]);
    expect(t.orphans.map((n) => [n.cert.name, n.marks])).toEqual([
      ["Child Of Old Key", ["rekeyed-parent"]],
      ["Orphan Issuing", ["missing-issuer"]],
    ]);
  });
});

describe("inventory", () => {
  it("filters and sorts as the URL says; unknown values fall back to the defaults; the URL round-trips", async () => {
    const certs = [
      root("CN=Alpha Root", { now: NOW, days: 10 }),
      root("CN=Beta Root", { now: NOW, days: 100 }),
      root("CN=Gamma Root", { now: NOW, notBefore: NOW - 100 * DAY, notAfter: NOW - DAY }),
    ];
    const d = await loadDashboard({ inputs: certs.map((c, i) => write(`i${i}.pem`, c.pem)), now: NOW });
    const names = (qs: string) =>
      filterRows(d, parseInventoryQuery(new URLSearchParams(qs))).map((r) => r.name);
    expect(names("")).toEqual(["Gamma Root", "Alpha Root", "Beta Root"]);
    expect(names("sort=subject&dir=desc")).toEqual(["Gamma Root", "Beta Root", "Alpha Root"]);
    expect(names("status=expired")).toEqual(["Gamma Root"]);
    expect(names("status=expiring")).toEqual(["Alpha Root"]);
    expect(names("within=30")).toEqual(["Alpha Root"]);
    expect(names("q=BETA")).toEqual(["Beta Root"]);
    expect(names(`q=${certs[0].cert.sha1.slice(0, 12).toLowerCase()}`)).toEqual(["Alpha Root"]);
    expect(names("sort=evil&dir=sideways&role=god&within=-4&page=x")).toEqual([
      "Gamma Root",
      "Alpha Root",
      "Beta Root",
    ]);
    const q = parseInventoryQuery(
      new URLSearchParams("q=a b&role=ca&status=ok&within=90&sort=key&dir=desc&page=2"),
    );
    expect(parseInventoryQuery(new URLSearchParams(queryString(q).slice(1)))).toEqual(q);
    expect(queryString(parseInventoryQuery(new URLSearchParams("")))).toBe("");
  });

  it("CSV: RFC 4180 quoting, and no cell a spreadsheet would run as a formula", async () => {
    const c = issue({ subject: [["CN", '=HYPERLINK("http://x","y"), "quoted"']], ca: true, now: NOW });
    const d = await loadDashboard({ inputs: [write("f.pem", c.pem)], now: NOW });
    const csv = inventoryCsv(d.rows);
    const line = csv.split("\r\n")[1];
    expect(line.startsWith("\"'CN=")).toBe(false);
    // quoted (it holds commas and quotes), quotes doubled, and it starts with "CN", not "="
    expect(line.startsWith('"CN==HYPERLINK(\\""http://x\\""')).toBe(true);
    expect(line.split(",").length).toBeGreaterThan(10);
    expect(csv.endsWith("\r\n")).toBe(true);
    // a cell that starts with = is prefixed
    const rows = [{ ...d.rows[0], subject: "=1+1" }];
    expect(inventoryCsv(rows).split("\r\n")[1].startsWith("'=1+1,")).toBe(true);
  });

  it("forecast: 13 weekly and 12 monthly buckets, each certificate counted once in each", async () => {
    const certs = [3, 10, 40, 200, 400].map((days, i) => root(`CN=F${i}`, { now: NOW, days }));
    const d = await loadDashboard({ inputs: certs.map((c, i) => write(`f${i}.pem`, c.pem)), now: NOW });
    const f = forecast(d);
    expect(f.weeks).toHaveLength(13);
    expect(f.months).toHaveLength(12);
    expect(f.weeks.map((b) => b.count)).toEqual([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(f.months.reduce((a, b) => a + b.count, 0)).toBe(4);
    expect(f.months[0].label).toBe("2026-06");
  });
});

describe("stale data", () => {
  it("is stale when no run finished within two schedule periods, and never without a schedule", () => {
    const run = (t: number) => ({ id: 1, startedAt: t, finishedAt: t });
    expect(staleness(run(NOW - 47 * 3600_000), "0 7 * * *", NOW).stale).toBe(false);
    expect(staleness(run(NOW - 49 * 3600_000), "0 7 * * *", NOW).stale).toBe(true);
    expect(staleness(undefined, "0 7 * * *", NOW).stale).toBe(true);
    expect(staleness(undefined, undefined, NOW).stale).toBe(false);
  });
});
