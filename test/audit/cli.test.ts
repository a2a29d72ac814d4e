import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { cli as runCli } from "../helpers/cli.js";
import { intermediate, leaf, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const REPO = join(__dirname, "..", "..");

const cli = (argv: string[]) => runCli(argv, { now: NOW });

const dir = mkdtempSync(join(tmpdir(), "smimetrust-check-"));
const goodRoot = root("CN=Good Root,O=Contoso,C=GB", { now: NOW });
const goodIca = intermediate("CN=Good Issuing CA,O=Contoso,C=GB", goodRoot, { now: NOW });
const oldRoot = root("CN=Old Root,O=Fabrikam,C=US", { now: NOW });
const oldIca = intermediate("CN=Fabrikam Mail CA,O=Fabrikam,C=US", oldRoot, { now: NOW });
const expiring = root("CN=Expiring Root", { now: NOW, notAfter: NOW + 12 * DAY });
const alice = leaf("alice@contoso.com", goodIca, { now: NOW });
const bob = leaf("bob@fabrikam.com", oldIca, { now: NOW });
const w = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const cleanPem = w("clean.pem", goodRoot.pem + goodIca.pem);
const cleanSst = w("clean.sst", createSst([goodRoot.cert, goodIca.cert].map((c) => ({ der: c.der }))));
const warnPem = w("warn.pem", goodRoot.pem + expiring.pem);
const oldPem = w("old.pem", goodRoot.pem + goodIca.pem + oldRoot.pem + oldIca.pem);
const leaves = w("leaves.pem", alice.pem + bob.pem);
const exportJson = w(
  "export.json",
  JSON.stringify({
    Identity: "SmimeConfiguration",
    SMIMECertificateIssuingCA: Buffer.from(
      createSst([goodRoot.cert, expiring.cert].map((c) => ({ der: c.der }))),
    ).toString("base64"),
    SMIMECertificatesExpiryDate: new Date(expiring.cert.notAfter).toISOString(),
    OWADisableCRLCheck: false,
  }),
);

describe("smimetrust check", () => {
  it("exit 0 and an ok line for a clean list; .sst input works", async () => {
    const r = await cli(["check", cleanPem]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ ok: no findings in 2 certificates/);
    expect((await cli(["check", cleanSst])).code).toBe(0);
  });

  it("--json prints exactly certificates and findings; exit 1 at the default warning threshold", async () => {
    const r = await cli(["check", warnPem, "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(["certificates", "findings"]);
    expect(doc.certificates).toEqual([
      {
        subject: "CN=Good Root, O=Contoso, C=GB",
        sha1: goodRoot.cert.sha1,
        notAfter: new Date(goodRoot.cert.notAfter).toISOString(),
        role: "root",
      },
      {
        subject: "CN=Expiring Root",
        sha1: expiring.cert.sha1,
        notAfter: new Date(expiring.cert.notAfter).toISOString(),
        role: "root",
      },
    ]);
    expect(doc.findings).toHaveLength(1);
    expect(doc.findings[0]).toMatchObject({
      code: "TRUST_EXPIRING",
      severity: "warning",
      cert: expiring.cert.sha1,
    });
    expect(Object.keys(doc.findings[0]).sort()).toEqual(["cert", "code", "hint", "message", "severity"]);
  });

  it("--fail-on error lets warnings pass; --warn-days narrows the window", async () => {
    expect((await cli(["check", warnPem, "--fail-on", "error"])).code).toBe(0);
    expect((await cli(["check", warnPem, "--warn-days", "10"])).code).toBe(0);
  });

  it("--at judges the list at another time (expired then: exit 1 even with --fail-on error)", async () => {
    const r = await cli([
      "check",
      warnPem,
      "--at",
      new Date(NOW + 20 * DAY).toISOString(),
      "--fail-on",
      "error",
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toEqual(["TRUST_EXPIRED"]);
  });

  it("the table shows severity by word and icon, code, certificate, message and hint", async () => {
    const r = await cli(["check", warnPem]);
    expect(r.stdout.split("\n")[0]).toMatch(/^SEVERITY\s+CODE\s+CERTIFICATE\s+MESSAGE\s+HINT$/);
    expect(r.stdout).toContain("! warning  TRUST_EXPIRING");
    expect(r.stdout).toContain(expiring.cert.sha1.slice(0, 8));
    expect(r.stderr).toContain("0 error, 1 warning, 0 info");
  });

  it("reads the Exchange export JSON as a trust list, with its real .sst size", async () => {
    const r = await cli(["check", exportJson, "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.certificates.map((c: { sha1: string }) => c.sha1)).toEqual([
      goodRoot.cert.sha1,
      expiring.cert.sha1,
    ]);
    expect(doc.findings.map((f: { code: string; cert: string }) => `${f.code}:${f.cert}`)).toEqual([
      `TRUST_EXPIRING:${expiring.cert.sha1}`,
    ]);
  });

  it("--markdown writes a report: generated time in UTC, every certificate with role, issuer, expiry, days left, thumbprint, findings", async () => {
    const r = await cli(["check", warnPem, "--markdown"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("# S/MIME trust list report");
    expect(r.stdout).toContain("- Generated: 2026-06-01T12:00:00Z (UTC)");
    expect(r.stdout).toContain(`| 2 | CN=Expiring Root | root | (itself) | `);
    expect(r.stdout).toContain(
      `${new Date(expiring.cert.notAfter).toISOString().replace(/\.\d{3}Z$/, "Z")} | 12 |`,
    );
    expect(r.stdout).toContain(`\`${goodRoot.cert.sha1}\``);
    expect(r.stdout).toContain(`| ! warning | TRUST_EXPIRING | \`${expiring.cert.sha1}\` |`);
  });

  it("bad input: one line, exit 2, nothing on stdout", async () => {
    const missing = await cli(["check", join(dir, "nope.pem")]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe("");
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("nope.pem: cannot read: no such file or folder");
    const junk = w("junk.json", '{"SMIMECertificateIssuingCA": "***"}');
    const bad = await cli(["check", junk]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("junk.json: SMIMECertificateIssuingCA is not base64");
    expect((await cli(["check", cleanPem, "--fail-on", "panic"])).code).toBe(2);
    expect((await cli(["check", cleanPem, "--warn-days", "-3"])).code).toBe(2);
  });

  it("--leaf: a user certificate whose CA is missing is reported, naming the leaf", async () => {
    const r = await cli(["check", cleanPem, "--leaf", leaves, "--json", "--fail-on", "error"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const bobs = doc.findings.filter((f: { cert: string }) => f.cert === bob.cert.sha1);
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs.some((f: { severity: string }) => f.severity === "error")).toBe(true);
    // what is missing: the chain stops at bob's issuing CA, which the list does not hold
    expect(bobs.map((f: { code: string }) => f.code)).toContain("CHAIN_INCOMPLETE");
    expect(JSON.stringify(bobs)).toContain("Fabrikam Mail CA");
    expect(doc.findings.filter((f: { cert: string }) => f.cert === alice.cert.sha1)).toEqual([]);
    const md = await cli(["check", cleanPem, "--leaf", leaves, "--markdown"]);
    expect(md.stdout).toContain("## User certificates checked against the list");
    expect(md.stdout).toContain(
      `| alice | alice@contoso.com | ✓ chains to the list | \`${alice.cert.sha1}\` |`,
    );
    expect(md.stdout).toMatch(
      new RegExp(`\\| bob \\| bob@fabrikam.com \\| ✗ [A-Z_, ]+ \\| \`${bob.cert.sha1}\` \\|`),
    );
  });

  it("spawned for real: exit codes 0, 1 and 2", () => {
    const node = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
        cwd: REPO,
        encoding: "utf8",
      });
    expect(node(["check", cleanPem]).status).toBe(0);
    const one = node(["check", join(dir, "expired.pem"), "--json"]);
    expect(one.status).toBe(2);
    expect(one.stderr).not.toMatch(/\n\s+at /);
    writeFileSync(
      join(dir, "expired.pem"),
      root("CN=Dead Root", { notBefore: Date.now() - 30 * DAY, notAfter: Date.now() - DAY }).pem,
    );
    const r = node(["check", join(dir, "expired.pem"), "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).findings[0].code).toBe("TRUST_EXPIRED");
    // an Exchange export on stdin
    const piped = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "check", "-", "--json", "--at", new Date(NOW).toISOString()],
      {
        cwd: REPO,
        encoding: "utf8",
        input: readFileSync(exportJson),
      },
    );
    expect(piped.status).toBe(1);
    expect(JSON.parse(piped.stdout).findings.map((f: { code: string }) => f.code)).toEqual([
      "TRUST_EXPIRING",
    ]);
  });
});

describe("smimetrust diff", () => {
  it("lists added, removed, replaced; --json shape; exit 0 without --leaf", async () => {
    const renewedIca = intermediate("CN=Good Issuing CA,O=Contoso,C=GB", goodRoot, { now: NOW + 10 * DAY });
    const newer = w("new.pem", goodRoot.pem + renewedIca.pem + expiring.pem);
    const r = await cli(["diff", oldPem, newer, "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.added.map((c: { sha1: string }) => c.sha1)).toEqual([expiring.cert.sha1]);
    expect(doc.removed.map((c: { sha1: string }) => c.sha1)).toEqual([oldRoot.cert.sha1, oldIca.cert.sha1]);
    expect(doc.replaced).toHaveLength(1);
    expect(doc.replaced[0].old.sha1).toBe(goodIca.cert.sha1);
    expect(doc.replaced[0].new.sha1).toBe(renewedIca.cert.sha1);
    expect(doc.replaced[0].changes).toEqual(["new key", "new dates"]);
    expect(doc.unchanged.map((c: { sha1: string }) => c.sha1)).toEqual([goodRoot.cert.sha1]);
    expect(doc.breaks).toBe(false);
    const text = await cli(["diff", oldPem, newer]);
    expect(text.stdout).toContain("1 added, 2 removed, 1 replaced, 1 unchanged");
    expect(text.stdout).toContain("- removed");
  });

  it("bad input is exit 2", async () => {
    expect((await cli(["diff", oldPem, join(dir, "missing.sst")])).code).toBe(2);
  });

  it("--leaf: a removed CA that still anchors a user certificate breaks it: exit 1", async () => {
    const r = await cli(["diff", oldPem, cleanPem, "--leaf", leaves, "--json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.breaks).toBe(true);
    const b = doc.leaves.find((l: { sha1: string }) => l.sha1 === bob.cert.sha1);
    expect(b).toMatchObject({ before: "valid", after: "invalid", broken: true });
    expect(b.lostFromPath).toContain(oldIca.cert.sha1);
    const a = doc.leaves.find((l: { sha1: string }) => l.sha1 === alice.cert.sha1);
    expect(a).toMatchObject({ before: "valid", after: "valid", broken: false });
    const ok = await cli(["diff", cleanPem, oldPem, "--leaf", leaves]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("✓ fixed");
  });
});
