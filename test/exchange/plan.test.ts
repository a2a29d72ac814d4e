import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import { parseConfig } from "../../src/exchange/config.js";
import { readSmimeExport } from "../../src/exchange/export.js";
import { makePlan } from "../../src/exchange/plan.js";
import { buildTrustStore } from "../../src/trust/build-store.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { issue, root } from "../helpers/pki.js";
import { certs, cli, exportJson, fixturePath, NOW, spawnCli, tmp, write } from "./helpers.js";

const DAY = 86_400_000;
const exp = (list: Certificate[] | null, settings: Record<string, unknown> = {}) =>
  readSmimeExport(Buffer.from(exportJson(list, settings)), "export.json");

describe("readSmimeExport", () => {
  it("reads the settings and the trust list's certificates", () => {
    const e = exp([certs.contosoRoot(), certs.contosoIssuing()], { OWASigningAlgorithms: "800C" });
    expect(e.certificates.map((c) => c.sha1)).toEqual([
      certs.contosoRoot().sha1,
      certs.contosoIssuing().sha1,
    ]);
    expect(e.settings.OWASigningAlgorithms).toBe("800C");
    expect(e.settings.OWACRLConnectionTimeout).toBe(60000);
    expect(e.trustListSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(e.expiryThumbprint).toBe(certs.contosoIssuing().sha1);
  });

  it("accepts an empty trust list (null)", () => {
    const e = exp(null);
    expect(e.trustListBytes).toBeNull();
    expect(e.trustListSha256).toBeNull();
    expect(e.certificates).toEqual([]);
  });

  it("fails with one clear error naming the file", () => {
    const bad = (text: string) => {
      try {
        readSmimeExport(Buffer.from(text), "tenant-export.json");
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedInputError);
        return (e as MalformedInputError).describe();
      }
      throw new Error("no error");
    };
    expect(bad("{ nope")).toMatch(/^tenant-export\.json: not valid JSON/);
    expect(bad('{"OWAAlwaysSign": true}')).toMatch(/^tenant-export\.json: not an Exchange export/);
    expect(bad('{"SMIMECertificateIssuingCA": null, "OWAAlwaysSign": "True"}')).toBe(
      'tenant-export.json: OWAAlwaysSign must be true or false, not "True"',
    );
    expect(bad('{"SMIMECertificateIssuingCA": null, "OWACRLConnectionTimeout": -1}')).toMatch(
      /OWACRLConnectionTimeout must be a UInt32 number/,
    );
    expect(bad('{"SMIMECertificateIssuingCA": "!!!"}')).toMatch(/SMIMECertificateIssuingCA is not base64/);
  });
});

describe("makePlan", () => {
  it("finds added, removed and replaced certificates and changed settings", () => {
    const current = exp([certs.contosoRoot(), certs.contosoIssuing(), certs.fabrikamRoot()], {
      OWASigningAlgorithms: "8004",
      OWAAlwaysSign: false,
    });
    const desired = [certs.contosoRoot2025(), certs.contosoIssuing(), certs.alice()];
    const plan = makePlan(
      current,
      {
        certificates: desired,
        settings: { OWASigningAlgorithms: "800C", OWAAlwaysSign: false, OWACRLRetrievalTimeout: 20000 },
      },
      NOW,
    );
    expect(plan.status).toBe("changes");
    const t = plan.trust!;
    expect(t.added).toEqual([]);
    expect(t.removed.map((c) => c.name)).toEqual(["Fabrikam Root CA"]);
    expect(t.replaced.map((p) => [p.old.sha1, p.new.sha1])).toEqual([
      [certs.contosoRoot().sha1, certs.contosoRoot2025().sha1],
    ]);
    expect(t.unchanged.map((c) => c.name)).toEqual(["Contoso Issuing CA 1"]);
    expect(t.leftOut.map((c) => c.name)).toEqual(["alice"]);
    expect(t.desiredCount).toBe(2);
    expect(t.changesCertificates).toBe(true);
    expect(t.earliest!.sha1).toBe(certs.contosoIssuing().sha1);
    // The desired bytes are exactly what `build` writes.
    expect(t.build!.bytes).toEqual(buildTrustStore(desired, { now: NOW }).bytes);
    expect(plan.settings).toEqual([
      { name: "OWACRLRetrievalTimeout", from: 10000, to: 20000 },
      { name: "OWASigningAlgorithms", from: "8004", to: "800C" },
    ]);
    expect(plan.unchangedSettings).toEqual(["OWAAlwaysSign"]);
    expect(plan.refusals).toEqual([]);
  });

  it("finds an added certificate on an empty tenant", () => {
    const plan = makePlan(exp(null), { certificates: [certs.fabrikamRoot()], settings: {} }, NOW);
    expect(plan.trust!.added.map((c) => c.name)).toEqual(["Fabrikam Root CA"]);
    expect(plan.trust!.currentSha256).toBeNull();
    expect(plan.status).toBe("changes");
  });

  it("says no changes when Exchange already has the same bytes and settings", () => {
    const list = [certs.contosoRoot(), certs.contosoIssuing()];
    const bytes = buildTrustStore(list, { now: NOW }).bytes;
    const props = JSON.parse(exportJson(null, { OWADisableCRLCheck: true }));
    props.SMIMECertificateIssuingCA = Buffer.from(bytes).toString("base64");
    const current = readSmimeExport(Buffer.from(JSON.stringify(props)), "e.json");
    const plan = makePlan(
      current,
      {
        certificates: list,
        settings: { OWADisableCRLCheck: true, OWASenderCertificateAttributesToDisplay: "" },
      },
      NOW,
    );
    expect(plan.status).toBe("no-changes");
    expect(plan.trust!.changesBytes).toBe(false);
    expect(plan.settings).toEqual([]);
    // null in the export and '' in the config are the same to Exchange
    expect(plan.unchangedSettings).toEqual(["OWADisableCRLCheck", "OWASenderCertificateAttributesToDisplay"]);
  });

  it("refuses an expired certificate, as Exchange would", () => {
    const old = root("CN=Expired Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW - DAY });
    const plan = makePlan(
      exp([certs.contosoRoot()]),
      { certificates: [certs.contosoRoot(), old.cert], settings: {} },
      NOW,
    );
    expect(plan.status).toBe("refused");
    expect(plan.refusals).toHaveLength(1);
    expect(plan.refusals[0]).toMatchObject({ code: "TRUST_EXPIRED", severity: "error", cert: old.cert.sha1 });
    expect(plan.refusals[0].message).toContain("'Expired Root CA'");
    expect(plan.refusals[0].message).toContain(new Date(NOW - DAY).toISOString().slice(0, 10));
    // The rest of the plan is still shown (without the expired certificate).
    expect(plan.trust!.desiredCount).toBe(1);
    expect(plan.trust!.build).toBeUndefined();
  });

  it("refuses more than 70,000 bytes, and reports an expired certificate in the same plan", () => {
    const big = issue({
      subject: "CN=Huge Root CA",
      ca: true,
      notBefore: NOW - DAY,
      notAfter: NOW + 3000 * DAY,
      extensions: [{ oid: "1.3.6.1.4.1.99999.1", value: new Uint8Array(71_000).fill(4) }],
    });
    const old = root("CN=Expired Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW - DAY });
    const plan = makePlan(
      exp(null),
      { certificates: [big.cert, old.cert, certs.fabrikamRoot()], settings: {} },
      NOW,
    );
    expect(plan.status).toBe("refused");
    expect(plan.refusals.map((r) => r.code)).toEqual(["TRUST_EXPIRED", "SST_TOO_LARGE"]);
    const size = plan.trust!.desiredBytes;
    expect(size).toBeGreaterThan(70_000);
    expect(plan.refusals[1].message).toContain(
      `The trust list is ${size} bytes; Exchange refuses files over 70,000 bytes`,
    );
    expect(plan.refusals[1].message).toContain("'Huge Root CA'");
  });

  it("warns about certificates that expire soon, without refusing", () => {
    const soon = root("CN=Soon Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW + 10 * DAY });
    const plan = makePlan(exp(null), { certificates: [soon.cert, certs.fabrikamRoot()], settings: {} }, NOW);
    expect(plan.status).toBe("changes");
    expect(plan.refusals).toEqual([]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatchObject({
      code: "TRUST_EXPIRING",
      severity: "warning",
      cert: soon.cert.sha1,
    });
    expect(plan.warnings[0].message).toContain("(10 days left)");
    expect(
      makePlan(exp(null), { certificates: [soon.cert], settings: {} }, NOW, { warnDays: 5 }).warnings,
    ).toEqual([]);
  });

  it("refuses a list with no CA certificate", () => {
    const plan = makePlan(exp(null), { certificates: [certs.alice()], settings: {} }, NOW);
    expect(plan.refusals.map((r) => r.code)).toEqual(["TRUST_LIST_EMPTY"]);
  });

  it("refuses a bad setting value, naming it", () => {
    const state = parseConfig(
      JSON.stringify({ settings: { OWASigningAlgorithms: "8005", OWAAlwaysSign: true } }),
      "smime.config.json",
    );
    const plan = makePlan(exp(null), { settings: state.settings, issues: state.issues }, NOW);
    expect(plan.status).toBe("refused");
    expect(plan.trust).toBeNull();
    expect(plan.refusals).toHaveLength(1);
    expect(plan.refusals[0].code).toBe("SETTING_INVALID");
    expect(plan.refusals[0].message).toMatch(
      /^Set-SmimeConfig would not take OWASigningAlgorithms: '8005' is not a signing algorithm id \(8003 MD5, 8004 SHA-1, 800C SHA-256, 800D SHA-384, 800E SHA-512\)\.$/,
    );
    expect(plan.settings).toEqual([{ name: "OWAAlwaysSign", from: false, to: true }]);
  });
});

describe("smimetrust exchange plan", () => {
  function setup(
    settings: Record<string, unknown>,
    trust: string[],
    current: Certificate[] | null,
    currentSettings: Record<string, unknown> = {},
  ) {
    const dir = tmp();
    write(dir, "smime.config.json", JSON.stringify({ trust, settings }));
    write(dir, "export.json", exportJson(current, currentSettings));
    return dir;
  }

  it("prints the changes and exits 0", async () => {
    const dir = setup(
      { OWASigningAlgorithms: "800C", OWACheckCRLOnSend: true },
      [
        fixturePath("contoso-root-2025.pem"),
        fixturePath("contoso-issuing.pem"),
        fixturePath("fabrikam-root.pem"),
      ],
      [certs.contosoRoot(), certs.contosoIssuing()],
    );
    const r = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/smime.config.json`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Trust list (SMIMECertificateIssuingCA): 2 certificates");
    expect(r.stdout).toMatch(
      new RegExp(`\\+ add\\s+Fabrikam Root CA\\s+${certs.fabrikamRoot().sha1}\\s+expires 2095-03-31`),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `~ replace\\s+Contoso Root CA\\s+${certs.contosoRoot().sha1} -> ${certs.contosoRoot2025().sha1}\\s+expires 2099-12-31 -> 2099-12-31 \\(new key, new dates\\)`,
      ),
    );
    expect(r.stdout).toMatch(/\n {2}= keep {5}1 certificate unchanged\n/);
    expect(r.stdout).toMatch(/~ OWACheckCRLOnSend\s+false -> true/);
    expect(r.stdout).toMatch(/~ OWASigningAlgorithms\s+'8004' -> '800C'/);
    expect(r.stdout).toContain(
      `SMIMEExpiredCertificateThumbprint  ${certs.contosoIssuing().sha1} ('Contoso Issuing CA 1')`,
    );
    expect(r.stdout).toContain("Result: certificates: 1 to add, 1 to replace; 2 settings to change.");
  });

  it("prints JSON with --json", async () => {
    const dir = setup({ OWAAlwaysSign: true }, [fixturePath("fabrikam-root.pem")], [certs.fabrikamRoot()]);
    const r = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/smime.config.json`,
      "--json",
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe("changes");
    expect(j.trust.added).toEqual([]);
    expect(j.trust.changesCertificates).toBe(false);
    expect(j.trust.desired.SMIMEExpiredCertificateThumbprint).toBe(certs.fabrikamRoot().sha1);
    expect(j.settings).toEqual([{ name: "OWAAlwaysSign", from: false, to: true, inExport: true }]);
    expect(j.refusals).toEqual([]);
  });

  it("says no changes when the tenant is already as desired", async () => {
    const dir = setup({ OWAAlwaysSign: true }, [], null, { OWAAlwaysSign: true });
    write(dir, "smime.config.json", JSON.stringify({ settings: { OWAAlwaysSign: true } }));
    const r = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/smime.config.json`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Trust list (SMIMECertificateIssuingCA): not managed by the config, left as it is.",
    );
    expect(r.stdout).toContain("Result: no changes.");
  });

  it("shows warnings and still exits 0; --warn-days changes the horizon", async () => {
    const dir = tmp();
    write(
      dir,
      "soon.pem",
      root("CN=Soon Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW + 20 * DAY }).pem,
    );
    write(dir, "smime.config.json", JSON.stringify({ trust: ["soon.pem"] }));
    write(dir, "export.json", exportJson(null));
    const args = [
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/smime.config.json`,
    ];
    const r = await cli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Warnings (Exchange takes this, but it will not last):");
    expect(r.stdout).toMatch(
      /! warn {2}TRUST_EXPIRING {2}'Soon Root CA' \(thumbprint [0-9A-F]{40}\) in the trust list expires on 2026-06-21 \(20 days left\)\./,
    );
    const j = JSON.parse((await cli([...args, "--json", "--warn-days", "7"])).stdout);
    expect(j.warnings).toEqual([]);
    const bad = await cli([...args, "--warn-days", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("smimetrust: --warn-days: 'soon' is not a whole number >= 0\n");
  });

  it("exits 1 and says why when Exchange would refuse", async () => {
    const dir = tmp();
    const old = root("CN=Old Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW - 10 * DAY });
    write(dir, "old.pem", old.pem);
    write(
      dir,
      "smime.config.json",
      JSON.stringify({
        trust: ["old.pem", fixturePath("fabrikam-root.pem")],
        settings: { OWABCCEncryptedEmailForking: 7 },
      }),
    );
    write(dir, "export.json", exportJson(null));
    const r = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/smime.config.json`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Exchange would refuse this:");
    expect(r.stdout).toMatch(
      /✗ fail {2}SETTING_INVALID {2}Set-SmimeConfig would not take OWABCCEncryptedEmailForking: must be one of 0, 1, 2, not 7\./,
    );
    expect(r.stdout).toMatch(
      /TRUST_EXPIRED {2}'Old Root CA' \(thumbprint [0-9A-F]{40}\) in the trust list expired on 2026-05-22/,
    );
    expect(r.stdout).toContain("Result: refused.");
  });

  it("exits 2 with one line naming the file on bad input", async () => {
    const dir = setup({}, [fixturePath("fabrikam-root.pem")], null);
    write(dir, "broken.json", "{ this is not json");
    const r = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/broken.json`,
      "--config",
      `${dir}/smime.config.json`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^smimetrust: ${dir}/broken\\.json: not valid JSON`));
    write(dir, "bad-config.json", JSON.stringify({ trust: "x" }));
    const r2 = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/bad-config.json`,
    ]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(
      `smimetrust: ${dir}/bad-config.json: trust: must be a list of paths to CA certificates (files or folders)\n`,
    );
    write(dir, "missing.json", JSON.stringify({ trust: ["nope.pem"] }));
    const r3 = await cli([
      "exchange",
      "plan",
      "--current",
      `${dir}/export.json`,
      "--config",
      `${dir}/missing.json`,
    ]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toBe(`smimetrust: ${dir}/nope.pem: cannot read: no such file or folder\n`);
  });

  it("gives real exit statuses as a process (0, 1, 2)", () => {
    const dir = setup({ OWAAlwaysSign: true }, [fixturePath("fabrikam-root.pem")], null);
    write(dir, "refused.json", JSON.stringify({ settings: { OWASigningAlgorithms: "SHA256" } }));
    write(dir, "broken.json", "[");
    const ok = spawnCli(["exchange", "plan", "--current", "export.json"], dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("+ add");
    const refused = spawnCli(
      ["exchange", "plan", "--current", "export.json", "--config", "refused.json"],
      dir,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("SETTING_INVALID");
    const bad = spawnCli(["exchange", "plan", "--current", "broken.json"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^smimetrust: broken\.json: not valid JSON/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
