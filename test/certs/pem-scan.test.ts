/**
 * PEM armour is found in one linear pass (src/lib/pem.ts): the same blocks as the backtracking regular
 * expression the readers used before, without its time in N^2 on BEGIN lines that never end.
 * The figures: npm run bench:pem.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { pemBlocks } from "../../src/lib/pem.js";
import { readCrls } from "../../src/revocation/crl.js";
import { asCms } from "../../src/smime/verify.js";
import { crl, root } from "../helpers/pki.js";

/** What the readers used before: the reference for which blocks are found. */
function byRegex(text: string, only?: string): { label: string; offset: number; body: string }[] {
  const re =
    only === undefined
      ? /-----BEGIN ([A-Z0-9 #]+)-----([\s\S]*?)-----END \1-----/g
      : new RegExp(`-----BEGIN (${only})-----([\\s\\S]*?)-----END ${only}-----`, "g");
  return [...text.matchAll(re)].map((m) => ({ label: m[1], offset: m.index ?? 0, body: m[2] }));
}

function byScanner(text: string, only?: string): { label: string; offset: number; body: string }[] {
  return pemBlocks(Buffer.from(text, "latin1"), only).map((b) => ({
    label: b.label,
    offset: b.offset,
    body: text.slice(b.bodyStart, b.bodyEnd),
  }));
}

const fragment = fc.constantFrom(
  "-----BEGIN CERTIFICATE-----",
  "-----END CERTIFICATE-----",
  "-----BEGIN X509 CRL-----",
  "-----END X509 CRL-----",
  "-----BEGIN CERTIFICATE REQUEST-----",
  "-----END CERTIFICATE REQUEST-----",
  "-----BEGIN PKCS #7 SIGNED DATA-----",
  "-----END PKCS #7 SIGNED DATA-----",
  "-----BEGIN -----",
  "-----END-----",
  "------END CERTIFICATE------",
  "-----BEGIN certificate-----",
  "MIIB",
  "AB==",
  "\n",
  "\r\n",
  "-",
  " ",
  "#",
  "A",
);

describe("pemBlocks", () => {
  it("finds exactly the blocks the regular expression found (fast-check, with and without a label filter)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fragment, fc.string({ maxLength: 6 })), { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        expect(byScanner(text)).toEqual(byRegex(text));
        expect(byScanner(text, "X509 CRL")).toEqual(byRegex(text, "X509 CRL"));
        expect(byScanner(text, "CERTIFICATE")).toEqual(byRegex(text, "CERTIFICATE"));
      }),
      { numRuns: 5000, seed: 9 },
    );
  });

  it("blocks with text around them, an unclosed BEGIN before a good block, and a nested BEGIN", () => {
    const text =
      "intro\n-----BEGIN CERTIFICATE-----\nnever ended\n-----BEGIN X509 CRL-----\nQUJD\n-----END X509 CRL-----\ntail";
    expect(byScanner(text)).toEqual(byRegex(text));
    expect(pemBlocks(Buffer.from(text)).map((b) => b.label)).toEqual(["X509 CRL"]);
  });
});

describe("BEGIN lines that never end: refused in linear time", () => {
  // 100,000 such lines took over a minute with the regular expression (time in N^2: 40,000 took 12 s);
  // the bound here is a thousand times what the linear scan needs, so only a quadratic scan can miss it.
  const lines = "-----BEGIN CERTIFICATE-----\n".repeat(100_000);
  const bytes = Buffer.from(lines);

  it("readCertificateBytes: one MalformedInputError at the first BEGIN line", () => {
    const started = Date.now();
    let err: unknown;
    try {
      readCertificateBytes(bytes, "many-begin.pem");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MalformedInputError);
    expect((err as MalformedInputError).describe()).toBe(
      "many-begin.pem: PEM block without a matching END line (at byte 0)",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("readCrls (CRL PEM) and asCms (PEM CMS given to verify)", () => {
    const crlText = Buffer.from("-----BEGIN X509 CRL-----\n".repeat(100_000));
    const cmsText = Buffer.from("-----BEGIN PKCS7-----\n".repeat(100_000));
    const started = Date.now();
    expect(() => readCrls(crlText, "many.crl")).toThrow(/no 'X509 CRL' PEM block found/);
    expect(asCms(cmsText)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("an END line after them closes the first BEGIN: broken base64 at the second line, as before", () => {
    const r = root("CN=After Many BEGIN");
    const started = Date.now();
    let err: unknown;
    try {
      readCertificateBytes(Buffer.concat([bytes, Buffer.from(r.pem)]), "late.pem");
    } catch (e) {
      err = e;
    }
    expect((err as MalformedInputError).describe()).toBe(
      "late.pem: broken base64 in PEM block 'CERTIFICATE' (at byte 28)",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    // Unclosed BEGIN lines of another label do not hide a block.
    const c = crl({ issuer: r });
    const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(c).toString("base64")}\n-----END X509 CRL-----\n`;
    const text = Buffer.from(`${"-----BEGIN CERTIFICATE-----\n".repeat(100_000)}${pem}`);
    expect(readCrls(text)).toHaveLength(1);
    expect(readCertificateBytes(text, "crl.pem").crls).toHaveLength(1);
  });
});
