import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { assertNoSecrets, cli, connectArgs, tmp, type World, world } from "./helpers.js";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.s.close();
});

const sha = (b: Uint8Array | null) => (b ? hexUpper(digest("sha256", b)) : null);
const desiredBytes = () => createSst([{ der: w.pki.root.der }, { der: w.pki.issuing.der }]);
const cmdlets = () => w.tenant.calls.map((c) => c.cmdlet);

function applyArgs(extra: string[] = []): string[] {
  return [
    "exchange",
    "apply",
    "--config",
    join(w.dir, "smime.config.json"),
    "--backup-dir",
    w.dir,
    "--verify-delay",
    "0",
    ...connectArgs(w),
    ...extra,
  ];
}

describe("exchange apply against the stand-in", () => {
  it("backs up, shows the plan, applies only what differs and verifies it", async () => {
    const before = w.tenant.config.SMIMECertificateIssuingCA as Uint8Array;
    const r = await cli(w, applyArgs());
    expect(r.stderr).not.toMatch(/smimetrust:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Plan for Exchange Online S/MIME: tenant contoso.onmicrosoft.com (current)");
    expect(r.stdout).toContain("+ add");
    expect(r.stdout).toContain("- remove");
    expect(r.stdout).toContain("~ OWAAlwaysSign  false -> true");
    expect(r.stdout).toContain("Applied and verified: OWAAlwaysSign, SMIMECertificateIssuingCA.");
    const issuingExpiry = new Date(w.pki.issuing.cert.notAfter).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect(r.stdout).toContain(`SMIMECertificatesExpiryDate (earliest expiry in the list): ${issuingExpiry}`);
    expect(r.stdout).toContain(w.pki.issuing.cert.sha1);
    // Exchange holds exactly the built .sst and the setting
    expect(sha(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array)).toBe(sha(desiredBytes()));
    expect(w.tenant.config.OWAAlwaysSign).toBe(true);
    // one read, one set with only the differences, one read-back
    expect(cmdlets()).toEqual(["Get-SmimeConfig", "Set-SmimeConfig", "Get-SmimeConfig"]);
    const set = w.tenant.calls[1].parameters;
    expect(Object.keys(set).sort()).toEqual(["OWAAlwaysSign", "SMIMECertificateIssuingCA"]);
    expect(set.SMIMECertificateIssuingCA).toEqual({
      "@odata.type": "#Exchange.ByteArrayType",
      Data: Array.from(desiredBytes()),
    });
    // the backup: the export format, with the previous list as base64
    const backups = readdirSync(w.dir).filter((f) => /^smime-backup-\d{8}-\d{6}\.json$/.test(f));
    expect(backups).toHaveLength(1);
    const doc = JSON.parse(readFileSync(join(w.dir, backups[0]), "utf8"));
    expect(doc.SMIMECertificateIssuingCA).toBe(Buffer.from(before).toString("base64"));
    expect(doc.OWAAlwaysSign).toBe(false);
    expect(doc.Identity).toBe("SMIMEConfig");
    expect(Object.keys(doc).some((k) => k.includes("@odata"))).toBe(false);
    assertNoSecrets(w, [r.stdout, r.stderr, readFileSync(join(w.dir, backups[0]), "utf8")]);
    // every InvokeCommand carried the anchor for the tenant's id and a request id
    const inv = w.s.requests.filter((q) => q.url.includes("InvokeCommand"));
    for (const q of inv) {
      expect(q.headers["x-anchormailbox"]).toBe(
        `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${w.tenant.id}`,
      );
      expect(q.headers["client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(q.url).toContain(`/adminapi/beta/${w.tenant.id}/InvokeCommand`);
    }
    // one token for the whole run (cached in memory)
    expect(w.s.requests.filter((q) => q.url.endsWith("/oauth2/v2.0/token"))).toHaveLength(1);
  });

  it("--what-if saves the backup and shows the plan, and changes nothing", async () => {
    const before = sha(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array);
    const r = await cli(w, applyArgs(["--what-if"]));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "What-if: nothing was changed (OWAAlwaysSign, SMIMECertificateIssuingCA would be).",
    );
    expect(cmdlets()).toEqual(["Get-SmimeConfig"]);
    expect(sha(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array)).toBe(before);
    expect(readdirSync(w.dir).filter((f) => f.startsWith("smime-backup-"))).toHaveLength(1);
  });

  it("a second run finds nothing to do and sends nothing", async () => {
    expect((await cli(w, applyArgs())).code).toBe(0);
    w.tenant.calls.length = 0;
    const r = await cli(w, applyArgs());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Result: no changes.");
    expect(r.stdout).not.toContain("Applied");
    expect(cmdlets()).toEqual(["Get-SmimeConfig"]);
  });

  it("--backup restores a backup: the exact bytes and the settings, verified", async () => {
    const original = w.tenant.config.SMIMECertificateIssuingCA as Uint8Array;
    expect((await cli(w, applyArgs())).code).toBe(0);
    const backup = readdirSync(w.dir).find((f) => f.startsWith("smime-backup-"))!;
    const out = tmp();
    const r = await cli(w, [
      "exchange",
      "apply",
      "--backup",
      join(w.dir, backup),
      "--backup-dir",
      out,
      "--verify-delay",
      "0",
      ...connectArgs(w),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Applied and verified: OWAAlwaysSign, SMIMECertificateIssuingCA.");
    expect(sha(w.tenant.config.SMIMECertificateIssuingCA as Uint8Array)).toBe(sha(original));
    expect(w.tenant.config.OWAAlwaysSign).toBe(false);
    // the restore backed up what it replaced too
    expect(readdirSync(out).filter((f) => f.startsWith("smime-backup-"))).toHaveLength(1);
  });

  it("reads back until the change shows (Exchange is eventually consistent)", async () => {
    w.tenant.lag = 2;
    const r = await cli(w, applyArgs());
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("read-back 1 of 6 does not show the change yet");
    expect(r.stdout).toContain("Applied and verified");
    expect(cmdlets()).toEqual([
      "Get-SmimeConfig",
      "Set-SmimeConfig",
      "Get-SmimeConfig",
      "Get-SmimeConfig",
      "Get-SmimeConfig",
    ]);
  });

  it("fails verification when the read-back never matches, naming the backup", async () => {
    w.tenant.lag = 99;
    const r = await cli(w, applyArgs(["--verify-attempts", "2"]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /verification failed: .*SMIMECertificateIssuingCA has SHA-256 .*The previous configuration is saved in .*smime-backup-/,
    );
  });

  it("refuses before any request what build refuses (an expired certificate in the list)", async () => {
    const r = await cli(w, applyArgs());
    expect(r.code).toBe(0);
    const requests = w.s.requests.length;
    const { writeFileSync } = await import("node:fs");
    const { root } = await import("../helpers/pki.js");
    const expired = root("CN=Expired Root", { days: -1 });
    writeFileSync(join(w.dir, "expired.pem"), expired.pem);
    writeFileSync(
      join(w.dir, "smime.config.json"),
      JSON.stringify({ trust: ["root.pem", "expired.pem"], settings: {} }),
    );
    const r2 = await cli(w, applyArgs());
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/expired/);
    expect(w.s.requests.length).toBe(requests);
  });

  it("refuses a bad tenant, app id or missing sign-in before any request", async () => {
    const bad = await cli(w, [
      "exchange",
      "apply",
      "--tenant",
      "not a tenant",
      "--app-id",
      w.app.appId,
      "--certificate",
      join(w.dir, "app.pem"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--tenant");
    const none = await cli(w, ["exchange", "apply", "--tenant", "contoso.onmicrosoft.com"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("needs --app-id and --certificate");
    expect(w.s.requests).toHaveLength(0);
  });

  it("refuses a plain-http authority that is not the loopback address", async () => {
    const r = await cli(
      { ...w, env: { SMIMETRUST_EXCHANGE_AUTHORITY: "http://login.example.com" } },
      applyArgs(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("must be https://");
  });
});

describe("exchange apply: more refusals and JSON", () => {
  it("refuses a setting Exchange would not take before any request", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      join(w.dir, "smime.config.json"),
      JSON.stringify({ trust: ["root.pem"], settings: { OWACRLConnectionTimeout: -5 } }),
    );
    const r = await cli(w, applyArgs());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^smimetrust: .*OWACRLConnectionTimeout/);
    expect(w.s.requests).toHaveLength(0);
  });

  it("--json: one document with the status, the changes, the backup, the reported expiry and the plan", async () => {
    const r = await cli(w, applyArgs(["--json"]));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      tenant: "contoso.onmicrosoft.com",
      status: "applied",
      changed: ["OWAAlwaysSign", "SMIMECertificateIssuingCA"],
      whatIf: false,
      SMIMEExpiredCertificateThumbprint: w.pki.issuing.cert.sha1,
    });
    expect(doc.backup).toMatch(/smime-backup-\d{8}-\d{6}\.json$/);
    expect(doc.plan.status).toBe("changes");
    expect(doc.plan.trust.desired.sha256).toBe(sha(desiredBytes()));
    const whatIf = await cli(w, applyArgs(["--json", "--what-if"]));
    expect(JSON.parse(whatIf.stdout)).toMatchObject({ status: "no-changes", whatIf: true, changed: [] });
  });

  it("--tenants with --what-if changes no tenant", async () => {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      join(w.dir, "tenants.json"),
      JSON.stringify({
        config: "smime.config.json",
        tenants: [{ tenant: w.tenant.domain, appId: w.app.appId, certificate: "app.pem" }],
      }),
    );
    const r = await cli(w, [
      "exchange",
      "apply",
      "--tenants",
      join(w.dir, "tenants.json"),
      "--what-if",
      "--backup-dir",
      w.dir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /contoso\.onmicrosoft\.com\s+changes\s+OWAAlwaysSign, SMIMECertificateIssuingCA/,
    );
    expect(cmdlets()).toEqual(["Get-SmimeConfig"]);
  });
});
