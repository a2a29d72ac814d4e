import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCertificateBytes } from "../../src/formats/read.js";
import {
  createSst,
  decodeFriendlyName,
  PROP,
  readSst,
  sstCertificates,
  writeSst,
} from "../../src/formats/sst.js";
import { digest, hexUpper } from "../../src/lib/bytes.js";
import { openssl, opensslPemSha1s, opensslSha1, tempDir } from "../certs/openssl.js";
import { cli } from "../helpers/cli.js";
import { crl, intermediate, leaf, makeKey, root } from "../helpers/pki.js";
import { FIXTURES, fixture } from "../sst/fixtures.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

// Two hierarchies, given to build in a scrambled order.
const rootA = root("CN=Alpha Root CA,O=Alpha,C=GB", { now: NOW, days: 7000 });
const issA1 = intermediate("CN=Alpha Issuing CA 1,O=Alpha,C=GB", rootA, { now: NOW, days: 3000 });
const issA2 = intermediate("CN=Alpha Issuing CA 2,O=Alpha,C=GB", rootA, { now: NOW, days: 2500 });
const subA1 = intermediate("CN=Alpha Sub CA under 1,O=Alpha,C=GB", issA1, { now: NOW, days: 2000 });
const rootB = root("CN=Beta Root,O=Beta,C=US", {
  now: NOW,
  days: 5000,
  key: makeKey({ type: "ec", curve: "P-384" }),
});
const issB = intermediate("CN=Beta S/MIME CA,O=Beta,C=US", rootB, { now: NOW, days: 1000 });
const user = leaf("bob@alpha.example", issA1, { now: NOW, days: 300 });
const oldRoot = root("CN=Expired Root,O=Gamma", {
  now: NOW,
  notBefore: NOW - 4000 * DAY,
  notAfter: NOW - 10 * DAY,
});

const t = tempDir("smimetrust-build-");
beforeAll(() => {
  mkdirSync(t.path("in/nested/deeper"), { recursive: true });
  writeFileSync(t.path("in/b-sub.pem"), subA1.pem);
  writeFileSync(t.path("in/nested/alpha-issuing.cer"), issA1.der);
  writeFileSync(t.path("in/nested/deeper/beta.pem"), `${issB.pem}\n${rootB.pem}`);
  writeFileSync(t.path("in/z-alpha-root.cer"), Buffer.from(rootA.der).toString("base64"));
  writeFileSync(t.path("in/a-issuing2.pem"), issA2.pem.replace(/\n/g, "\r\n"));
  writeFileSync(t.path("in/user.pem"), user.pem);
  writeFileSync(t.path("in/dup.pem"), issA1.pem);
  writeFileSync(t.path("expired.pem"), oldRoot.pem);
});
afterAll(() => t.cleanup());

// Folder order is sorted by name (a-issuing2, b-sub, dup, nested/..., nested/deeper/beta, user, z-alpha-root):
// roots in the order first seen, each followed depth-first by what it issued, in the order first seen.
const EXPECTED_ORDER = [rootB, issB, rootA, issA2, issA1, subA1].map((c) => c.cert.sha1);

describe("smimetrust build", () => {
  it("writes an .sst of CA certificates only, each root followed by the intermediates under it", async () => {
    const out = t.path("trust.sst");
    const r = await cli(["build", t.path("in"), "-o", out], { now: NOW });
    expect(r.code).toBe(0);
    const store = readSst(readFileSync(out));
    const certs = sstCertificates(store);
    expect(certs.map((e) => hexUpper(digest("sha1", e.value)))).toEqual(EXPECTED_ORDER);
    // Microsoft's small-file layout: property 3 (the SHA-1) before each certificate, nothing else.
    for (const e of certs) {
      expect(e.properties.map((p) => p.id)).toEqual([PROP.sha1Hash]);
      expect(hexUpper(e.properties[0].value)).toBe(hexUpper(digest("sha1", e.value)));
    }
    expect(store.hasEndRecord).toBe(true);
    // Summary: count, earliest expiry and its thumbprint, the file's SHA-256.
    expect(r.stdout).toContain(`wrote ${out} (sst, ${readFileSync(out).length} bytes)`);
    expect(r.stdout).toMatch(/certificates: +6 \(2 roots, 4 intermediates\)/);
    expect(r.stdout).toMatch(/left out: +1 leaf, 0 expired, 1 duplicate/);
    expect(r.stdout).toContain(`thumbprint ${issB.cert.sha1}`);
    expect(r.stdout).toContain(new Date(issB.cert.notAfter).toISOString().slice(0, 10));
    expect(r.stdout).toContain(`sha256:          ${hexUpper(digest("sha256", readFileSync(out)))}`);
    // The leaf is left out with a warning naming it.
    expect(r.stderr).toContain(`warning: left out 'bob' (${user.cert.sha1}): not a CA certificate`);
  });

  it("every certificate in the written .sst reads back through openssl x509 -inform DER with the same thumbprint", async () => {
    const out = t.path("openssl-check.sst");
    expect((await cli(["build", t.path("in"), "-o", out], { now: NOW })).code).toBe(0);
    const certs = sstCertificates(readSst(readFileSync(out)));
    expect(certs.length).toBe(6);
    for (const e of certs) expect(opensslSha1(e.value, "DER")).toBe(hexUpper(digest("sha1", e.value)));
    expect(certs.map((e) => opensslSha1(e.value, "DER"))).toEqual(EXPECTED_ORDER);
    // And through the project's own reader (format detection).
    expect(readCertificateBytes(readFileSync(out), out).certificates.map((c) => c.sha1)).toEqual(
      EXPECTED_ORDER,
    );
  });

  it("--json prints the summary for scripts", async () => {
    const out = t.path("j.sst");
    const r = await cli(["build", t.path("in"), "-o", out, "--json"], { now: NOW });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.certificates.map((c: { sha1: string }) => c.sha1)).toEqual(EXPECTED_ORDER);
    expect(j.SMIMEExpiredCertificateThumbprint).toBe(issB.cert.sha1);
    expect(j.leftOut.leaves).toEqual([user.cert.sha1]);
    expect(j.sha256).toBe(hexUpper(digest("sha256", readFileSync(out))));
  });

  it("--friendly-names writes property 11 after property 3", async () => {
    const out = t.path("fn.sst");
    expect((await cli(["build", t.path("in"), "-o", out, "--friendly-names"], { now: NOW })).code).toBe(0);
    const certs = sstCertificates(readSst(readFileSync(out)));
    expect(certs.map((e) => e.properties.map((p) => p.id))).toEqual(certs.map(() => [3, 11]));
    expect(certs.map((e) => decodeFriendlyName(e.properties[1].value))).toEqual([
      "Beta Root",
      "Beta S/MIME CA",
      "Alpha Root CA",
      "Alpha Issuing CA 2",
      "Alpha Issuing CA 1",
      "Alpha Sub CA under 1",
    ]);
  });

  it("--format p7b round-trips through openssl pkcs7 -print_certs, in the same order", async () => {
    const out = t.path("trust.p7b");
    expect((await cli(["build", t.path("in"), "-o", out, "--format", "p7b"], { now: NOW })).code).toBe(0);
    const printed = openssl(["pkcs7", "-inform", "DER", "-in", out, "-print_certs"]).toString();
    expect(opensslPemSha1s(printed)).toEqual(EXPECTED_ORDER);
  });

  it("--format pem: each block reads through openssl x509, in the same order", async () => {
    const out = t.path("trust.pem");
    expect((await cli(["build", t.path("in"), "-o", out, "--format", "pem"], { now: NOW })).code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(opensslPemSha1s(text)).toEqual(EXPECTED_ORDER);
    expect(text).toContain(`# SHA-1 ${rootA.cert.sha1}`);
  });

  it("--format is case-insensitive (SST as Windows spells it)", async () => {
    const out = t.path("upper.sst");
    expect((await cli(["build", t.path("in"), "-o", out, "--format", "SST"], { now: NOW })).code).toBe(0);
    expect(sstCertificates(readSst(readFileSync(out))).length).toBe(6);
  });

  it("refuses '-o -' (exit 2) rather than writing a file called '-'", async () => {
    const r = await cli(["build", t.path("in"), "-o", "-"], { now: NOW });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync("-")).toBe(false);
  });

  it("refuses an unknown --format (exit 2, nothing written)", async () => {
    const out = t.path("x.der");
    const r = await cli(["build", t.path("in"), "-o", out, "--format", "der"], { now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("smimetrust: --format: 'der' is not sst, p7b or pem\n");
    expect(existsSync(out)).toBe(false);
  });

  it("an expired certificate: exit 2, its thumbprint listed, nothing written; --drop-expired leaves it out", async () => {
    const out = t.path("exp.sst");
    const r = await cli(["build", t.path("in"), t.path("expired.pem"), "-o", out], { now: NOW });
    expect(r.code).toBe(2);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .filter((l) => !l.startsWith("warning:")),
    ).toHaveLength(1);
    expect(r.stderr).toContain(oldRoot.cert.sha1);
    expect(r.stderr).toMatch(/expired certificates: 'Expired Root'/);
    expect(r.stderr).toMatch(/--drop-expired/);
    expect(existsSync(out)).toBe(false);
    const d = await cli(["build", t.path("in"), t.path("expired.pem"), "-o", out, "--drop-expired"], {
      now: NOW,
    });
    expect(d.code).toBe(0);
    expect(d.stderr).toContain(`warning: left out 'Expired Root' (${oldRoot.cert.sha1}): expired`);
    expect(d.stdout).toMatch(/left out: +1 leaf, 1 expired, 1 duplicate/);
    expect(sstCertificates(readSst(readFileSync(out))).map((e) => hexUpper(digest("sha1", e.value)))).toEqual(
      EXPECTED_ORDER,
    );
  });

  it("more than 70,000 bytes: exit 2, says by how much and names the largest certificates, nothing written", async () => {
    const dir = t.path("big");
    mkdirSync(dir);
    const key = makeKey({ type: "ec" }, "big-roots");
    const bigs = [];
    for (let n = 0; n < 14; n++) {
      // A 5,000-byte private extension makes each root about 5.3 kB.
      const filler = {
        oid: "1.3.6.1.4.1.99999.1",
        value: Uint8Array.from([0x04, 0x82, 0x13, 0x88, ...new Uint8Array(5000).fill(n)]),
      };
      const c = root(`CN=Big Root ${String(n).padStart(2, "0")}`, { now: NOW, key, extensions: [filler] });
      bigs.push(c);
      writeFileSync(`${dir}/r${n}.cer`, c.der);
    }
    const total = createSst(bigs.map((c) => ({ der: c.der }))).length;
    expect(total).toBeGreaterThan(70_000);
    const out = t.path("big.sst");
    const r = await cli(["build", dir, "-o", out], { now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(
      `the .sst would be ${total} bytes, ${total - 70_000} over Exchange's limit of 70000`,
    );
    expect(r.stderr).toMatch(/largest: 'Big Root \d\d' \([0-9A-F]{40}, \d+ bytes\)/);
    expect(existsSync(out)).toBe(false);
    // The same certificates as p7b are not subject to the .sst limit.
    expect((await cli(["build", dir, "-o", t.path("big.p7b"), "--format", "p7b"], { now: NOW })).code).toBe(
      0,
    );
  });

  it("an existing output is replaced only with --force", async () => {
    const out = t.path("exists.sst");
    writeFileSync(out, "keep me");
    const r = await cli(["build", t.path("in"), "-o", out], { now: NOW });
    expect(r.code).toBe(2);
    // Refused before reading the inputs: no leaf warnings, one line.
    expect(r.stderr).toBe(`smimetrust: ${out}: exists already; use --force to replace it\n`);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    const f = await cli(["build", t.path("in"), "-o", out, "--force"], { now: NOW });
    expect(f.code).toBe(0);
    expect(sstCertificates(readSst(readFileSync(out))).length).toBe(6);
    // What was replaced is kept beside it, and the summary says so.
    expect(readFileSync(`${out}.bak`, "utf8")).toBe("keep me");
    expect(f.stdout).toContain(`${out}.bak`);
    const again = await cli(["build", t.path("in"), "-o", out, "--force", "--json"], { now: NOW });
    expect(JSON.parse(again.stdout).backup).toBe(`${out}.bak`);
    expect(sstCertificates(readSst(readFileSync(`${out}.bak`))).length).toBe(6);
    // A new file has no backup.
    const fresh = await cli(["build", t.path("in"), "-o", t.path("fresh.sst"), "--json"], { now: NOW });
    expect(JSON.parse(fresh.stdout).backup).toBeNull();
    expect(existsSync(t.path("fresh.sst.bak"))).toBe(false);
  });

  it("CRLs among the inputs are left out with a warning (the trust list holds certificates only)", async () => {
    writeFileSync(t.path("a.crl"), crl({ issuer: rootA }));
    const out = t.path("with-crl.sst");
    const r = await cli(["build", t.path("in"), t.path("a.crl"), "-o", out], { now: NOW });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: left out 1 CRL .*a\.crl/m);
    expect(readSst(readFileSync(out)).elements.map((e) => e.kind)).toEqual(
      EXPECTED_ORDER.map(() => "certificate"),
    );
  });

  it("only leaves: exit 2, nothing written", async () => {
    const out = t.path("leaves.sst");
    const r = await cli(["build", t.path("in/user.pem"), "-o", out], { now: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no CA certificates to write/);
    expect(existsSync(out)).toBe(false);
  });

  it("re-building a store that carries a key-provider property (id 2) drops it", async () => {
    // A root wrapped the way .NET's SerializedStore export writes it: property 2 from the .NET fixture.
    const dotnet = readSst(fixture("dotnet_runtime_StoreSavedAsSerializedStoreData.sst"));
    const prop2 = dotnet.elements.flatMap((e) => e.properties).find((p) => p.id === PROP.keyProviderInfo);
    expect(prop2).toBeDefined();
    const src = writeSst({
      elements: [
        {
          kind: "certificate",
          id: 32,
          encoding: 1,
          value: rootA.der,
          offset: 0,
          properties: [prop2!, { id: 3, encoding: 1, value: digest("sha1", rootA.der) }],
        },
      ],
      trailingProperties: [],
      hasEndRecord: true,
    });
    writeFileSync(t.path("with-prop2.sst"), src);
    const out = t.path("no-prop2.sst");
    expect((await cli(["build", t.path("with-prop2.sst"), "-o", out], { now: NOW })).code).toBe(0);
    const store = readSst(readFileSync(out));
    expect(store.elements.flatMap((e) => e.properties.map((p) => p.id))).toEqual([3]);
    // The .NET store's own two certificates are expired leaves: build says so and writes nothing.
    const dn = await cli(
      [
        "build",
        resolve(FIXTURES, "dotnet_runtime_StoreSavedAsSerializedStoreData.sst"),
        "-o",
        t.path("dn.sst"),
      ],
      { now: NOW },
    );
    expect(dn.code).toBe(2);
    expect(existsSync(t.path("dn.sst"))).toBe(false);
  });

  it("reads the 507-root Windows store and refuses it as too large for Exchange", async () => {
    const out = t.path("win.sst");
    const r = await cli(
      ["build", resolve(FIXTURES, "GeekDuanLian_windows-cert-sync_root.sst"), "-o", out, "--drop-expired"],
      { now: NOW },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/over Exchange's limit of 70000/);
    expect(existsSync(out)).toBe(false);
  });
});
