import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { root } from "../helpers/pki.js";
import { assertNoSecrets, cli, defaultConfig, makeApp, type World, world } from "./helpers.js";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.s.close();
});

interface Finding {
  code: string;
  severity: string;
  message: string;
  watched: string;
}

describe("monitor: Exchange Online tenants read live", () => {
  it("alerts on drift, on a live certificate near expiry and on sign-in failure; keeps secrets out of the database", async () => {
    const entries: unknown[] = [];
    const add = (name: string, config: Record<string, unknown>, badCert = false) => {
      const app = makeApp(`mon-${name}`);
      writeFileSync(join(w.dir, `${name}.pem`), app.pem);
      const t = w.s.addTenant({
        domain: `${name}.onmicrosoft.com`,
        appId: app.appId,
        credential: badCert ? makeApp("other").der : app.der,
        config,
      });
      entries.push({ name, tenant: t.domain, appId: app.appId, certificate: `${name}.pem` });
      return { app, t };
    };
    const inSync = defaultConfig([w.pki.root, w.pki.issuing]);
    inSync.SMIMECertificateIssuingCA = createSst([{ der: w.pki.root.der }, { der: w.pki.issuing.der }]);
    inSync.OWAAlwaysSign = true;
    add("insync", inSync);
    add("drifted", defaultConfig([w.pki.old]));
    const soon = root("CN=Soon Expiring Root", { days: 5 });
    add("expiring", defaultConfig([soon]));
    const failing = add("locked", defaultConfig([w.pki.old]), true);
    writeFileSync(
      join(w.dir, "tenants.json"),
      JSON.stringify({ config: "smime.config.json", tenants: entries }),
    );
    writeFileSync(
      join(w.dir, "monitor.json"),
      JSON.stringify({
        schedule: "0 7 * * *",
        database: "monitor.sqlite",
        exchangeTenants: [{ name: "customers", tenants: "tenants.json" }],
        sinks: [{ type: "log" }],
      }),
    );
    const r = await cli(w, ["monitor", "--config", join(w.dir, "monitor.json"), "--once", "--json"]);
    expect(r.code).toBe(2); // a tenant could not be checked
    const doc = JSON.parse(r.stdout) as { findings: Finding[]; failures: { scope: string }[] };
    const of = (scope: string) =>
      doc.findings
        .filter((f) => f.watched === `customers/${scope}`)
        .map((f) => f.code)
        .sort();
    expect(of("insync")).toEqual([]);
    expect(of("drifted")).toEqual(["EXCHANGE_DRIFT", "EXCHANGE_DRIFT"]);
    expect(of("expiring")).toEqual(["EXCHANGE_DRIFT", "EXCHANGE_DRIFT", "TRUST_EXPIRING"]);
    expect(of("locked")).toEqual(["EXCHANGE_SIGN_IN_FAILED"]);
    const drift = doc.findings.find(
      (f) => f.watched === "customers/drifted" && f.message.includes("OWAAlwaysSign"),
    )!;
    expect(drift.message).toContain("OWAAlwaysSign is false, expected true");
    const expiring = doc.findings.find((f) => f.code === "TRUST_EXPIRING")!;
    expect(expiring.severity).toBe("error");
    expect(expiring.message).toContain("Soon Expiring Root");
    const signIn = doc.findings.find((f) => f.code === "EXCHANGE_SIGN_IN_FAILED")!;
    expect(signIn.message).toContain("AADSTS700027");
    expect(doc.failures.map((f) => f.scope)).toEqual(["customers/locked"]);
    // nothing secret in the output, the log or the database file
    const db = readdirSync(w.dir).filter((f) => f.startsWith("monitor.sqlite"));
    expect(db.length).toBeGreaterThan(0);
    const dbText = db.map((f) => readFileSync(join(w.dir, f)).toString("latin1"));
    expect(dbText.join("")).toContain("EXCHANGE_DRIFT");
    assertNoSecrets(w, [r.stdout, r.stderr, ...dbText]);
    const lockedKey = failing.app.keyPem.split("\n")[1];
    for (const t of [r.stdout, r.stderr, ...dbText]) expect(t).not.toContain(lockedKey);

    // a second run: the same findings, so no new alerts
    const again = await cli(w, ["monitor", "--config", join(w.dir, "monitor.json"), "--once", "--json"]);
    const doc2 = JSON.parse(again.stdout) as { changes: unknown[] };
    expect(doc2.changes).toEqual([]);
  });

  it("validates the source in the monitor config", async () => {
    writeFileSync(
      join(w.dir, "monitor.json"),
      JSON.stringify({
        schedule: "0 7 * * *",
        exchangeTenants: [{ name: "x", tenants: "missing.json" }],
        sinks: [],
      }),
    );
    const r = await cli(w, ["monitor", "--config", join(w.dir, "monitor.json"), "--once"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exchangeTenants[0].tenants:");
    expect(r.stderr).toContain("does not exist");
  });
});
