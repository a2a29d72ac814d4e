/**
 * Issue 9: refusals that list many items name the first 10 and count the rest (all of them with --json);
 * `verify --crl` refuses an input without a CRL, as `chain --crl` does; `build` warns about a TLS-only CA with
 * check's own rule (NO_EMAIL_PROTECTION); hints fit the problem (a detached .p7s without --content, a file that
 * is not mail among the messages).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { OID } from "../../src/lib/oids.js";
import { tempDir } from "../certs/openssl.js";
import { cli } from "../helpers/cli.js";
import { intermediate, leaf, root } from "../helpers/pki.js";
import { signedData, smimeMessage } from "../helpers/smime.js";
import { FIXTURES } from "../sst/fixtures.js";

const NOW = Date.UTC(2026, 10, 28, 12);
const DAY = 86_400_000;
const AT = new Date(NOW).toISOString();
const t = tempDir("smimetrust-refusals-");
afterAll(() => t.cleanup());

const r = root("CN=Hint Root,O=Test", { now: NOW });
const ica = intermediate("CN=Hint Issuing CA,O=Test", r, { now: NOW });
const alice = leaf("alice@contoso.com", ica, { now: NOW });
const rootPem = t.path("root.pem");
writeFileSync(rootPem, r.pem + ica.pem);

describe("refusals that list many items", () => {
  it("build of a store with many expired roots: one short line naming 10 and counting the rest; --json all", async () => {
    const expired = Array.from({ length: 37 }, (_, i) =>
      root(`CN=Old Root ${String(i).padStart(2, "0")},O=Test`, {
        now: NOW,
        notBefore: NOW - 4000 * DAY,
        notAfter: NOW - (10 + i) * DAY,
      }),
    );
    const sst = t.path("old.sst");
    writeFileSync(sst, createSst([r, ...expired].map((c) => ({ der: c.der }))));
    const out = t.path("old-out.sst");
    const res = await cli(["build", sst, "-o", out], { now: NOW });
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^smimetrust: Exchange refuses a list with expired certificates: 37 of them: /);
    expect(lines[0].match(/expired 20\d\d-/g)).toHaveLength(10);
    expect(lines[0]).toMatch(/, and 27 more; remove them or use --drop-expired \(--json lists them all\)$/);
    expect(lines[0].length).toBeLessThan(1500);
    const json = await cli(["build", sst, "-o", out, "--json"], { now: NOW });
    expect(json.code).toBe(2);
    const err = JSON.parse(json.stdout).error;
    expect(err.code).toBe("ERR_EXPIRED_IN_LIST");
    expect(err.certificates).toHaveLength(37);
    expect(new Set(err.certificates.map((c: { sha1: string }) => c.sha1))).toEqual(
      new Set(expired.map((c) => c.cert.sha1)),
    );
    expect(existsSync(out)).toBe(false);
  });

  it("the 507-root Windows store: the expired-certificate refusal is one readable line", async () => {
    const store = resolve(FIXTURES, "GeekDuanLian_windows-cert-sync_root.sst");
    const res = await cli(["build", store, "-o", t.path("win.sst")], { now: NOW });
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0].length).toBeLessThan(1500);
    const m = /expired certificates: (\d+) of them: .*, and (\d+) more;/.exec(lines[0]);
    expect(m).not.toBeNull();
    expect(Number(m![1]) - Number(m![2])).toBe(10);
    const json = JSON.parse(
      (await cli(["build", store, "-o", t.path("win.sst"), "--json"], { now: NOW })).stdout,
    );
    expect(json.error.certificates).toHaveLength(Number(m![1]));
  });

  it("exchange rollback-script: the same for a backup holding many expired certificates", async () => {
    const expired = Array.from({ length: 14 }, (_, i) =>
      root(`CN=Backup Root ${i},O=Test`, {
        now: NOW,
        notBefore: NOW - 900 * DAY,
        notAfter: NOW - (i + 1) * DAY,
      }),
    );
    const backup = t.path("backup.json");
    writeFileSync(
      backup,
      JSON.stringify({
        SMIMECertificateIssuingCA: Buffer.from(createSst(expired.map((c) => ({ der: c.der })))).toString(
          "base64",
        ),
      }),
    );
    const res = await cli(["exchange", "rollback-script", backup, "-o", t.path("rb.ps1"), "--json"], {
      now: NOW,
    });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/14 expired certificates: .*, and 4 more; use --drop-expired/);
    expect(JSON.parse(res.stdout).error.certificates).toHaveLength(14);
  });
});

describe("exchange plan: many refusals", () => {
  it("the text names the first 10 refusals and counts the rest; --json has them all", async () => {
    const d = t.path("plan-trust");
    mkdirSync(d);
    writeFileSync(join(d, "root.pem"), r.pem);
    for (let i = 0; i < 13; i++)
      writeFileSync(
        join(d, `old-${i}.pem`),
        root(`CN=Plan Old ${i},O=Test`, {
          now: NOW,
          notBefore: NOW - 900 * DAY,
          notAfter: NOW - (i + 1) * DAY,
        }).pem,
      );
    const config = t.path("plan.config.json");
    writeFileSync(config, JSON.stringify({ trust: [d], settings: {} }));
    const current = t.path("plan-export.json");
    writeFileSync(current, JSON.stringify({ SMIMECertificateIssuingCA: null }));
    const args = ["exchange", "plan", "--current", current, "--config", config];
    const text = await cli(args, { now: NOW });
    expect(text.code).toBe(1);
    expect(text.stdout.match(/✗ fail {2}TRUST_EXPIRED/g)).toHaveLength(10);
    expect(text.stdout).toMatch(/\.\.\. and 3 more \(--json lists them all\)/);
    const json = JSON.parse((await cli([...args, "--json"], { now: NOW })).stdout);
    expect(json.refusals.filter((x: { code: string }) => x.code === "TRUST_EXPIRED")).toHaveLength(13);
  });
});

describe("verify --crl without a CRL is refused, as in chain", () => {
  it("exit 2, one line naming the input; nothing verified", async () => {
    const msg = t.path("crl-msg.eml");
    writeFileSync(
      msg,
      smimeMessage({ from: "alice@contoso.com", signers: [{ signer: alice }], certs: [alice.der, ica.der] }),
    );
    for (const cmd of [
      ["verify", msg, "--trust", rootPem, "--crl", rootPem, "--at", AT],
      ["chain", t.path("alice.pem"), "--trust", rootPem, "--crl", rootPem, "--at", AT],
    ]) {
      writeFileSync(t.path("alice.pem"), alice.pem);
      const res = await cli(cmd, { now: NOW });
      expect(res.code, cmd[0]).toBe(2);
      expect(res.stdout).toBe("");
      expect(res.stderr).toMatch(/^smimetrust: --crl: no CRL found in '.*root\.pem'\n$/);
    }
  });
});

describe("build warns about a TLS-only CA with check's rule", () => {
  it("NO_EMAIL_PROTECTION at build time (stderr and --json warnings), the same finding check reports", async () => {
    const tls = intermediate("CN=Web Server CA,O=Test", r, { now: NOW, eku: [OID.serverAuth] });
    const inp = t.path("tls.pem");
    writeFileSync(inp, r.pem + tls.pem);
    const res = await cli(["build", inp, "-o", t.path("tls.sst")], { now: NOW });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(
      /^warning: NO_EMAIL_PROTECTION: 'Web Server CA' \(thumbprint [0-9A-F]{40}\) has an extended key usage that excludes e-mail protection: it allows only serverAuth\. /m,
    );
    const json = JSON.parse(
      (await cli(["build", inp, "-o", t.path("tls2.sst"), "--json"], { now: NOW })).stdout,
    );
    const check = JSON.parse((await cli(["check", inp, "--json"], { now: NOW })).stdout);
    const fromCheck = check.findings.filter((f: { code: string }) => f.code === "NO_EMAIL_PROTECTION");
    expect(json.warnings).toEqual(fromCheck);
    expect(json.warnings).toHaveLength(1);
    expect(json.warnings[0].cert).toBe(tls.cert.sha1);
    // exchange script builds the same list and warns the same way.
    const config = t.path("tls.config.json");
    writeFileSync(config, JSON.stringify({ trust: [inp], settings: {} }));
    const script = await cli(["exchange", "script", "--config", config, "-o", t.path("tls-apply.ps1")], {
      now: NOW,
    });
    expect(script.code).toBe(0);
    expect(script.stderr).toMatch(/^warning: NO_EMAIL_PROTECTION: 'Web Server CA'/m);
    // An S/MIME CA gets no such warning.
    const clean = await cli(["build", rootPem, "-o", t.path("clean.sst"), "--json"], { now: NOW });
    expect(JSON.parse(clean.stdout).warnings).toEqual([]);
    expect(clean.stderr).not.toMatch(/NO_EMAIL_PROTECTION/);
  });
});

describe("hints fit the problem", () => {
  it("a detached .p7s without --content: SIGNED_CONTENT_MISSING, the hint asks for --content", async () => {
    const content = Buffer.from("signed text\r\n");
    const p7s = t.path("detached.p7s");
    writeFileSync(
      p7s,
      signedData({ content, signers: [{ signer: alice }], detached: true, certs: [alice.der, ica.der] }),
    );
    const res = await cli(["verify", p7s, "--trust", rootPem, "--at", AT, "--ignore-sender", "--json"], {
      now: NOW,
    });
    const doc = JSON.parse(res.stdout)[0];
    const p = doc.signers[0].problems.find((x: { code: string }) => x.code === "SIGNED_CONTENT_MISSING");
    expect(p.hint).toMatch(/--content/);
    expect(JSON.stringify(doc)).not.toMatch(/damaged in transit/);
    const text = await cli(["verify", p7s, "--trust", rootPem, "--at", AT, "--ignore-sender"], { now: NOW });
    expect(text.stdout).toMatch(/SIGNED_CONTENT_MISSING: .*Fix: Give the signed content with --content/);
    const content2 = t.path("content.txt");
    writeFileSync(content2, content);
    const ok = await cli(
      ["verify", p7s, "--trust", rootPem, "--content", content2, "--at", AT, "--ignore-sender", "--json"],
      {
        now: NOW,
      },
    );
    expect(JSON.parse(ok.stdout)[0].signers[0].problems.map((x: { code: string }) => x.code)).not.toContain(
      "SIGNED_CONTENT_MISSING",
    );
  });

  it("a file that is not mail in a folder of messages: NOT_MAIL, the hint says it does not belong there", async () => {
    const d = t.path("mailbox");
    mkdirSync(d);
    writeFileSync(
      join(d, "a.eml"),
      smimeMessage({ from: "alice@contoso.com", signers: [{ signer: alice }], certs: [alice.der, ica.der] }),
    );
    writeFileSync(join(d, "notes.txt"), "call Bob about the new CA\n");
    const res = await cli(["verify", d, "--trust", rootPem, "--at", AT, "--json"], { now: NOW });
    const docs = JSON.parse(res.stdout);
    const notes = docs.find((x: { file: string }) => x.file.endsWith("notes.txt"));
    expect(notes.verdict).toBe("error");
    expect(notes.problems.map((x: { code: string }) => x.code)).toEqual(["NOT_MAIL"]);
    expect(notes.problems[0].hint).toMatch(/does not belong there/);
    expect(notes.problems[0].hint).not.toMatch(/damaged in transit/);
  });
});
