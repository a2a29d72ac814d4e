import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTenantsFile, runLimited } from "../../src/exchange-api/tenants.js";
import { root } from "../helpers/pki.js";
import { assertNoSecrets, cli, defaultConfig, makeApp, tmp, type World, world } from "./helpers.js";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.s.close();
});

/** Ten tenants sharing smime.config.json; `bad` get a certificate their app does not have. */
function tenFile(bad: number[], envelopeOn: number[] = []): string {
  const entries = [];
  for (let i = 0; i < 10; i++) {
    const app = makeApp(`tenant-${i}`);
    writeFileSync(join(w.dir, `app-${i}.pem`), app.pem);
    const t = w.s.addTenant({
      domain: `tenant${i}.onmicrosoft.com`,
      appId: app.appId,
      credential: bad.includes(i) ? makeApp("other").der : app.der,
      config: defaultConfig([w.pki.old]),
      shape: (["base64", "array", "data"] as const)[i % 3],
    });
    if (envelopeOn.includes(i))
      t.faults.push({
        kind: "envelope",
        status: 403,
        code: "Forbidden",
        message: "The app has no Exchange role.",
      });
    entries.push({ name: `tenant-${i}`, tenant: t.domain, appId: app.appId, certificate: `app-${i}.pem` });
  }
  const file = join(w.dir, "tenants.json");
  writeFileSync(file, JSON.stringify({ config: "smime.config.json", tenants: entries }, null, 2));
  return file;
}

describe("many tenants", () => {
  it("applies to ten tenants; two failing stop none of the others", async () => {
    const file = tenFile([3], [7]);
    const backups = tmp();
    const r = await cli(w, [
      "exchange",
      "apply",
      "--tenants",
      file,
      "--parallel",
      "3",
      "--backup-dir",
      backups,
      "--verify-delay",
      "0",
    ]);
    expect(r.code).toBe(2);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^TENANT\s+STATUS\s+CHANGES\s+EARLIEST EXPIRY\s+DETAIL$/);
    for (let i = 0; i < 10; i++) {
      const row = lines.find((l) => l.startsWith(`tenant-${i} `))!;
      expect(row, `tenant-${i}`).toBeDefined();
      if (i === 3)
        expect(row).toMatch(
          /failed.*sign-in to tenant3\.onmicrosoft\.com failed: invalid_client: AADSTS700027/,
        );
      else if (i === 7) expect(row).toMatch(/failed.*HTTP 403: Forbidden: The app has no Exchange role\./);
      else expect(row).toMatch(/applied\s+OWAAlwaysSign, SMIMECertificateIssuingCA/);
    }
    expect(r.stdout).toContain("10 tenants: ");
    expect(r.stdout).toMatch(/8 applied/);
    expect(r.stdout).toMatch(/2 failed/);
    const tenants = [...w.s.tenants.values()].filter((t) => t.domain.startsWith("tenant"));
    expect(tenants.filter((t) => t.config.OWAAlwaysSign === true)).toHaveLength(8);
    // one backup per tenant that was read, named by the tenant
    const saved = readdirSync(backups);
    expect(saved).toHaveLength(8);
    expect(saved.some((f) => f.startsWith("smime-backup-tenant-0-"))).toBe(true);
    assertNoSecrets(w, [r.stdout, r.stderr, ...saved.map((f) => readFileSync(join(backups, f), "utf8"))]);
  });

  it("plan --tenants --json: one entry per tenant with its plan; a second apply finds nothing to do", async () => {
    const file = tenFile([]);
    const plan = await cli(w, ["exchange", "plan", "--tenants", file, "--json"]);
    expect(plan.code).toBe(0);
    const doc = JSON.parse(plan.stdout);
    expect(doc).toHaveLength(10);
    expect(doc[0].status).toBe("changes");
    expect(doc[0].plan.settings[0]).toMatchObject({ name: "OWAAlwaysSign", from: false, to: true });
    expect(doc[0].backup).toBeNull();
    const sets = () =>
      [...w.s.tenants.values()].flatMap((t) => t.calls).filter((c) => c.cmdlet === "Set-SmimeConfig");
    expect(sets()).toHaveLength(0);
    const backups = tmp();
    expect(
      (await cli(w, ["exchange", "apply", "--tenants", file, "--backup-dir", backups, "--verify-delay", "0"]))
        .code,
    ).toBe(0);
    expect(sets()).toHaveLength(10);
    const again = await cli(w, [
      "exchange",
      "apply",
      "--tenants",
      file,
      "--backup-dir",
      backups,
      "--verify-delay",
      "0",
      "--json",
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).map((o: { status: string }) => o.status)).toEqual(
      Array(10).fill("no-changes"),
    );
    expect(sets()).toHaveLength(10);
  });

  it("a tenant whose own config Exchange would refuse is refused before any request; the rest go on", async () => {
    const file = tenFile([]);
    const expired = root("CN=Expired Root", { days: -1 });
    writeFileSync(join(w.dir, "expired.pem"), expired.pem);
    writeFileSync(join(w.dir, "bad.config.json"), JSON.stringify({ trust: ["expired.pem"] }));
    const doc = JSON.parse(readFileSync(file, "utf8"));
    doc.tenants[0].config = "bad.config.json";
    writeFileSync(file, JSON.stringify(doc));
    const r = await cli(w, [
      "exchange",
      "apply",
      "--tenants",
      file,
      "--backup-dir",
      tmp(),
      "--verify-delay",
      "0",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out[0]).toMatchObject({ name: "tenant-0", status: "refused" });
    expect(out[0].error.code).toBe("ERR_EXPIRED_IN_LIST");
    expect(out.slice(1).every((o: { status: string }) => o.status === "applied")).toBe(true);
    const t0 = [...w.s.tenants.values()].find((t) => t.domain === "tenant0.onmicrosoft.com")!;
    expect(t0.calls).toHaveLength(0);
  });

  it("the tenants file: clear errors, no secrets allowed in it", () => {
    const parse = (doc: unknown) => () => parseTenantsFile(JSON.stringify(doc), "tenants.json", "/x");
    const ok = {
      tenant: "contoso.onmicrosoft.com",
      appId: "11111111-2222-3333-4444-555555555555",
      certificate: "a.pem",
    };
    expect(parse({ config: "c.json", tenants: [ok] })()).toEqual([
      { name: "contoso.onmicrosoft.com", ...ok, certificate: "/x/a.pem", config: "/x/c.json" },
    ]);
    expect(parse({ tenants: [ok] })).toThrow("tenants[0].config: required");
    expect(parse({ config: "c", tenants: [{ ...ok, password: "x" }] })).toThrow(
      "tenants[0].password: no secrets",
    );
    expect(parse({ config: "c", tenants: [{ ...ok, tenant: "x y" }] })).toThrow("tenants[0].tenant:");
    expect(parse({ config: "c", tenants: [ok, ok] })).toThrow("is used twice");
    expect(parse({ config: "c", tenants: [] })).toThrow("one or more tenants");
  });
});

describe("runLimited", () => {
  it("runs at most N at a time, keeps the order, and one failure is that item's result", async () => {
    let inFlight = 0;
    let most = 0;
    const out = await runLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 10 * (8 - n)));
      inFlight--;
      return n === 4 ? "failed" : n * 2;
    });
    expect(most).toBe(3);
    expect(out).toEqual([2, 4, 6, "failed", 10, 12, 14]);
  });
});
