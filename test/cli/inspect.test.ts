import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { OID } from "../../src/lib/oids.js";
import { openssl, tempDir } from "../certs/openssl.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { intermediate, issue, leaf, makeKey, root } from "../helpers/pki.js";
import { FIXTURES, fixture, manifest } from "../sst/fixtures.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const r = root("CN=Inspect Root CA,O=Contoso,C=GB", {
  now: NOW,
  notAfter: NOW + 1000 * DAY + 3600_000,
  key: makeKey({ type: "rsa", bits: 2048 }, "inspect-root"),
});
const i = intermediate("CN=Inspect Issuing CA,O=Contoso,C=GB", r, {
  now: NOW,
  notAfter: NOW + 500 * DAY + 60_000,
});
const u = leaf("carol@contoso.example", i, { now: NOW, notAfter: NOW - 3 * DAY });

const t = tempDir("smimetrust-inspect-");
beforeAll(() => {
  mkdirSync(t.path("tree/a/b"), { recursive: true });
  writeFileSync(t.path("tree/root.pem"), r.pem);
  writeFileSync(t.path("tree/a/issuing.cer"), i.der);
  writeFileSync(t.path("tree/a/b/user.txt"), `Some notes\r\n${u.pem.replace(/\n/g, "\r\n")}`);
  writeFileSync(t.path("tree/.hidden.pem"), "not read");
  writeFileSync(t.path("chain.pem"), r.pem + i.pem + u.pem);
});
afterAll(() => t.cleanup());

describe("smimetrust inspect", () => {
  it("prints a table: subject, issuer, role, not after with days left, key, signature, EKU, SHA-1 thumbprint", async () => {
    const res = await cli(["inspect", t.path("chain.pem")], { now: NOW });
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines[0].split(/\s{2,}/)).toEqual([
      "SUBJECT",
      "ISSUER",
      "ROLE",
      "NOT AFTER",
      "KEY",
      "SIGNATURE",
      "EKU",
      "SHA1 THUMBPRINT",
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^Inspect Root CA\s+Inspect Root CA\s+root\s+\d{4}-\d\d-\d\d \(1000 days\)\s+RSA 2048\s+\S+\s+\(any\)\s+[0-9A-F]{40}$/,
    );
    expect(lines[1].endsWith(r.cert.sha1)).toBe(true);
    expect(lines[2]).toMatch(
      /^Inspect Issuing CA\s+Inspect Root CA\s+intermediate\s+\d{4}-\d\d-\d\d \(500 days\)\s+EC P-256/,
    );
    expect(lines[3]).toMatch(
      /^carol\s+Inspect Issuing CA\s+leaf\s+\d{4}-\d\d-\d\d \(expired 3 days ago\).*emailProtection\s+[0-9A-F]{40}$/,
    );
    expect(res.stderr).toBe("3 certificates\n");
  });

  it("--json prints the DESIGN.md fields for every certificate", async () => {
    const res = await cli(["inspect", "--json", t.path("chain.pem")], { now: NOW });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe("");
    const j = JSON.parse(res.stdout);
    expect(j).toHaveLength(3);
    for (const k of [
      "subject",
      "issuer",
      "serial",
      "notBefore",
      "notAfter",
      "sha1",
      "sha256",
      "isCA",
      "selfSigned",
      "keyUsage",
      "extKeyUsage",
      "emails",
      "source",
    ]) {
      for (const c of j) expect(c, k).toHaveProperty(k);
    }
    expect(j.map((c: { sha1: string }) => c.sha1)).toEqual([r.cert.sha1, i.cert.sha1, u.cert.sha1]);
    expect(j[0]).toMatchObject({
      subject: "CN=Inspect Root CA, O=Contoso, C=GB",
      isCA: true,
      selfSigned: true,
      role: "root",
      keyUsage: ["keyCertSign", "cRLSign"],
    });
    expect(j[2]).toMatchObject({
      isCA: false,
      selfSigned: false,
      emails: ["carol@contoso.example"],
      extKeyUsage: [OID.emailProtection],
    });
    expect(j[1].source).toBe(`${t.path("chain.pem")}#2`);
    expect(j[0].sha256).toBe(r.cert.sha256);
    expect(j[0].notAfter).toBe(new Date(r.cert.notAfter).toISOString());
  });

  it("reads folders recursively (sorted, hidden files skipped), whatever the extension", async () => {
    const res = await cli(["inspect", "--json", t.path("tree")], { now: NOW });
    expect(res.code).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.map((c: { sha1: string }) => c.sha1)).toEqual([u.cert.sha1, i.cert.sha1, r.cert.sha1]);
    expect(j.map((c: { source: string }) => c.source.slice(t.dir.length + 1))).toEqual([
      "tree/a/b/user.txt#1",
      "tree/a/issuing.cer",
      "tree/root.pem#1",
    ]);
  });

  it("follows symbolic links in folders (as /etc/ssl/certs is built), and walks a looping folder once", async () => {
    mkdirSync(t.path("links/sub"), { recursive: true });
    symlinkSync(t.path("tree/root.pem"), t.path("links/root-link.pem"));
    symlinkSync(t.path("tree/a"), t.path("links/sub/a-link"));
    symlinkSync(t.path("links"), t.path("links/sub/loop"));
    symlinkSync(t.path("nowhere.pem"), t.path("links/dangling.pem"));
    const res = await cli(["inspect", "--json", t.path("links")], { now: NOW });
    expect(res.code, res.stderr).toBe(0);
    const j = JSON.parse(res.stdout);
    expect(j.map((c: { sha1: string }) => c.sha1)).toEqual([r.cert.sha1, u.cert.sha1, i.cert.sha1]);
  });

  it("reads stdin ('-') in any format: PEM, DER, .sst, PKCS#7", () => {
    const p7 = openssl(["crl2pkcs7", "-nocrl", "-certfile", t.path("chain.pem"), "-outform", "DER"]);
    for (const input of [
      readFileSync(t.path("chain.pem")),
      p7,
      createSst([r, i, u].map((c) => ({ der: c.der }))),
    ]) {
      const res = spawnCli(["inspect", "--json", "-"], { input });
      expect(res.code, res.stderr).toBe(0);
      const j = JSON.parse(res.stdout);
      expect(j.map((c: { sha1: string }) => c.sha1)).toEqual([r.cert.sha1, i.cert.sha1, u.cert.sha1]);
      expect(j[0].source).toMatch(/^<stdin>/);
    }
    const der = spawnCli(["inspect", "--json", "-"], { input: i.der });
    expect(JSON.parse(der.stdout)[0].sha1).toBe(i.cert.sha1);
    const empty = spawnCli(["inspect", "-"], { input: "" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe("smimetrust: <stdin>: empty input, no certificates\n");
  });

  it("reads every Windows-made .sst fixture: the thumbprints of the manifest, in order", async () => {
    for (const m of manifest) {
      const res = await cli(["inspect", "--json", resolve(FIXTURES, m.file)], { now: NOW });
      expect(res.code, m.file).toBe(0);
      expect(JSON.parse(res.stdout).map((c: { sha1: string }) => c.sha1)).toEqual(m.sha1);
    }
    expect(fixture(manifest[0].file).length).toBe(manifest[0].bytes);
  });

  it("a certificate with an empty subject (names only in subjectAltName) is shown by its e-mail address", async () => {
    const anon = issue({
      subject: [],
      issuer: i,
      emails: ["nobody@contoso.example"],
      eku: [OID.emailProtection],
      now: NOW,
    });
    expect(anon.cert.name).toBe("nobody@contoso.example");
    writeFileSync(t.path("anon.pem"), anon.pem);
    const res = await cli(["inspect", t.path("anon.pem")], { now: NOW });
    expect(res.stdout.split("\n")[1]).toMatch(/^nobody@contoso\.example\s+Inspect Issuing CA\s+leaf/);
  });

  it("several inputs keep their order", async () => {
    const res = await cli(["inspect", "--json", t.path("tree/a/issuing.cer"), t.path("tree/root.pem")], {
      now: NOW,
    });
    expect(JSON.parse(res.stdout).map((c: { sha1: string }) => c.sha1)).toEqual([i.cert.sha1, r.cert.sha1]);
  });
});
