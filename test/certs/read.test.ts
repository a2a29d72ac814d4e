import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertsOnlyPkcs7 } from "../../src/cms/certs-only.js";
import { EmptyInputError, MalformedInputError, UnknownFormatError } from "../../src/errors.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { createSst } from "../../src/formats/sst.js";
import { crl, intermediate, leaf, root } from "../helpers/pki.js";
import { openssl, opensslSha1, tempDir } from "./openssl.js";

const r = root("CN=Read Test Root,O=Contoso,C=GB");
const i = intermediate("CN=Read Test Issuing CA,O=Contoso,C=GB", r);
const u = leaf("alice@contoso.example", i);
const all = [r, i, u];
const sha1s = all.map((c) => c.cert.sha1);

const t = tempDir("smimetrust-read-");
beforeAll(() => {
  writeFileSync(t.path("chain.pem"), all.map((c) => c.pem).join(""));
});
afterAll(() => t.cleanup());

function read(bytes: Uint8Array | string, name = "input") {
  return readCertificateBytes(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, name);
}

function refusal<E extends Error>(f: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as E;
  }
  throw new Error("expected a refusal");
}

describe("format detection from content", () => {
  it("PEM: many blocks, text around them, LF", () => {
    const text = `Bag Attributes\n    friendlyName: root\nsubject=CN = Read Test Root\n${r.pem}\nsome words between\n${i.pem}${u.pem}trailing text\n`;
    const res = read(text, "bundle.pem");
    expect(res.format).toBe("pem");
    expect(res.certificates.map((c) => c.sha1)).toEqual(sha1s);
    expect(res.certificates.map((c) => c.source)).toEqual(["bundle.pem#1", "bundle.pem#2", "bundle.pem#3"]);
  });

  it("PEM with CRLF line ends (as Windows writes), and with a UTF-8 BOM", () => {
    const crlf = all.map((c) => c.pem.replace(/\n/g, "\r\n")).join("\r\n");
    expect(read(crlf).certificates.map((c) => c.sha1)).toEqual(sha1s);
    expect(
      read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(r.pem)])).certificates.map(
        (c) => c.sha1,
      ),
    ).toEqual([r.cert.sha1]);
  });

  it("PEM: X509 CRL blocks are collected, private key blocks are ignored with a warning", () => {
    const c = crl({ issuer: r });
    const text = `${r.pem}-----BEGIN X509 CRL-----\n${Buffer.from(c).toString("base64")}\n-----END X509 CRL-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`;
    const res = read(text, "mixed.pem");
    expect(res.certificates.map((x) => x.sha1)).toEqual([r.cert.sha1]);
    expect(res.crls.map((x) => Buffer.from(x).toString("hex"))).toEqual([Buffer.from(c).toString("hex")]);
    expect(res.warnings).toEqual([
      "mixed.pem: ignored a 'PRIVATE KEY' block (private keys are never read or stored)",
    ]);
  });

  it("DER certificate", () => {
    const res = read(u.der, "user.cer");
    expect(res.format).toBe("der");
    expect(res.certificates.map((c) => c.sha1)).toEqual([u.cert.sha1]);
  });

  it("DER certificates appended to one another (cat a.cer b.cer): each one, with its offset", () => {
    const cat = Buffer.concat([r.der, i.der, u.der]);
    const res = read(cat, "bundle.cer");
    expect(res.format).toBe("der");
    expect(res.certificates.map((c) => c.sha1)).toEqual(sha1s);
    expect(res.certificates.map((c) => c.source)).toEqual(["bundle.cer#1", "bundle.cer#2", "bundle.cer#3"]);
    // A certificate followed by bytes that are not one is still refused where the extra bytes start.
    const e = refusal(
      () => read(Buffer.concat([r.der, Buffer.from("trailing")]), "trail.cer"),
      MalformedInputError,
    );
    expect(e.offset).toBe(r.der.length);
    // A damaged second certificate: refused, not half read.
    const cut = Buffer.concat([r.der, i.der.subarray(0, i.der.length - 10)]);
    expect(() => read(cut, "cut.cer")).toThrow(MalformedInputError);
  });

  it("base64 without armour (Windows 'Base-64 encoded X.509 (.cer)' without headers), wrapped or not", () => {
    const b64 = Buffer.from(i.der).toString("base64");
    expect(read(b64).format).toBe("base64");
    expect(read(b64).certificates[0].sha1).toBe(i.cert.sha1);
    expect(read(`${b64.replace(/.{76}/g, "$&\r\n")}\r\n`).certificates[0].sha1).toBe(i.cert.sha1);
  });

  it("PKCS#7 certificates-only from openssl crl2pkcs7, DER and PEM", () => {
    const der = openssl(["crl2pkcs7", "-nocrl", "-certfile", t.path("chain.pem"), "-outform", "DER"]);
    const pem = openssl(["crl2pkcs7", "-nocrl", "-certfile", t.path("chain.pem")]);
    expect(pem.toString()).toMatch(/-----BEGIN PKCS7-----/);
    for (const [bytes, fmt] of [
      [der, "pkcs7"],
      [pem, "pem"],
    ] as const) {
      const res = read(bytes, "chain.p7b");
      expect(res.format).toBe(fmt);
      expect(res.certificates.map((c) => c.sha1)).toEqual(sha1s);
    }
  });

  it("PKCS#7 with a CRL (openssl crl2pkcs7 with -in crl)", () => {
    const c = crl({ issuer: r });
    writeFileSync(t.path("r.crl"), c);
    const der = openssl([
      "crl2pkcs7",
      "-in",
      t.path("r.crl"),
      "-inform",
      "DER",
      "-certfile",
      t.path("chain.pem"),
      "-outform",
      "DER",
    ]);
    const res = read(der, "withcrl.p7b");
    expect(res.certificates.length).toBe(3);
    expect(res.crls.length).toBe(1);
  });

  it("our own certs-only PKCS#7 reads back, and openssl reads it too", () => {
    const p7 = createCertsOnlyPkcs7(all.map((c) => c.der));
    expect(read(p7).certificates.map((c) => c.sha1)).toEqual(sha1s);
    const printed = openssl(["pkcs7", "-inform", "DER", "-print_certs"], { input: p7 }).toString();
    expect((printed.match(/BEGIN CERTIFICATE/g) ?? []).length).toBe(3);
  });

  it(".sst: certificates in file order, with the record offset for errors", () => {
    const sst = createSst(all.map((c) => ({ der: c.der })));
    const res = read(sst, "trust.sst");
    expect(res.format).toBe("sst");
    expect(res.certificates.map((c) => c.sha1)).toEqual(sha1s);
    expect(res.certificates.map((c) => c.source)).toEqual(["trust.sst#1", "trust.sst#2", "trust.sst#3"]);
  });

  it("a DER CRL is recognised as a CRL, not a certificate", () => {
    const res = read(crl({ issuer: r }), "x.crl");
    expect(res.format).toBe("crl");
    expect(res.certificates).toEqual([]);
    expect(res.crls.length).toBe(1);
  });

  it("the certificate's SHA-1 agrees with openssl for each format", () => {
    expect(opensslSha1(u.der)).toBe(read(u.der).certificates[0].sha1);
    expect(opensslSha1(u.pem)).toBe(read(u.pem).certificates[0].sha1);
  });
});

describe("bad input is refused with a typed error, the file and (binary) the byte offset", () => {
  it("an empty file", () => {
    const e = refusal(() => read(new Uint8Array(0), "empty.cer"), EmptyInputError);
    expect(e.describe()).toBe("empty.cer: empty input, no certificates");
  });

  it("random bytes", () => {
    const e = refusal(
      () => read(Uint8Array.from([0x9f, 0x01, 0x02, 0xff, 0x00, 0x42, 0x13, 0x37]), "noise.bin"),
      UnknownFormatError,
    );
    expect(e.describe()).toMatch(/^noise\.bin: not a certificate container .* \(at byte 0\)$/);
  });

  it("a truncated DER certificate: the offset of the element that runs past the end", () => {
    const e = refusal(() => read(u.der.subarray(0, 200), "cut.cer"), MalformedInputError);
    expect(e.file).toBe("cut.cer");
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/needs \d+ bytes but only \d+ remain/);
  });

  it("a certificate with a corrupted inner length: the offset points inside", () => {
    const bad = Uint8Array.from(u.der);
    // TBSCertificate starts at 4 (30 82 LL LL); its length bytes at 6..7. Make the serial INTEGER length absurd.
    const serialAt = bad.indexOf(0x02, 8);
    bad[serialAt + 1] = 0x7f;
    const e = refusal(() => read(bad, "bad.cer"), MalformedInputError);
    expect(e.offset).toBeGreaterThan(0);
    expect(e.offset).toBeLessThan(bad.length);
  });

  it("a PEM block with broken base64: the offset of the first bad character", () => {
    const lines = r.pem.split("\n");
    lines[3] = `${lines[3].slice(0, 10)}!${lines[3].slice(11)}`;
    const text = lines.join("\n");
    const e = refusal(() => read(text, "broken.pem"), MalformedInputError);
    expect(e.message).toBe("broken base64 in PEM block 'CERTIFICATE'");
    expect(e.offset).toBe(text.indexOf("!"));
  });

  it("a PEM block whose base64 decodes to a broken certificate", () => {
    const b64 = Buffer.from(u.der.subarray(0, 150)).toString("base64");
    const text = `${r.pem}Some text\n-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
    const e = refusal(() => read(text, "short.pem"), MalformedInputError);
    // Points at the BEGIN line of the broken block and says which certificate it is.
    expect(e.offset).toBe(r.pem.length + "Some text\n".length);
    expect(e.describe()).toMatch(/^short\.pem: certificate #2: .* \(at byte \d+\)$/);
  });

  it("a PEM BEGIN line without an END line", () => {
    const e = refusal(
      () => read(r.pem.replace(/-----END CERTIFICATE-----\n$/, ""), "open.pem"),
      MalformedInputError,
    );
    expect(e.message).toMatch(/without a matching END/);
    expect(e.offset).toBe(0);
  });

  it("a truncated .sst: the offset of the cut record", () => {
    const sst = createSst([{ der: r.der }, { der: i.der }]);
    const cut = sst.subarray(0, sst.length - 40);
    const e = refusal(() => read(cut, "cut.sst"), MalformedInputError);
    expect(e.describe()).toMatch(
      /^cut\.sst: malformed \.sst: record 32 claims \d+ bytes but only \d+ remain \(at byte \d+\)$/,
    );
  });

  it("a corrupted certificate inside a .sst: the offset within the .sst file", () => {
    const sst = Uint8Array.from(createSst([{ der: r.der }, { der: i.der }]));
    const certAt = 8 + 12 + 20 + 12; // header, property 3 record (12 + 20), certificate record header
    sst[certAt + 1] = 0x85; // length of length too long
    const e = refusal(() => read(sst, "c.sst"), MalformedInputError);
    expect(e.file).toBe("c.sst");
    expect(e.offset).toBeGreaterThanOrEqual(certAt);
    expect(e.offset).toBeLessThan(certAt + 4);
  });

  it("a truncated PKCS#7", () => {
    const p7 = createCertsOnlyPkcs7(all.map((c) => c.der));
    const e = refusal(() => read(p7.subarray(0, p7.length - 10), "cut.p7b"), MalformedInputError);
    expect(e.file).toBe("cut.p7b");
    expect(e.offset).toBeTypeOf("number");
  });
});

describe("inputs that hold no certificate are refused, not read as empty", () => {
  const keyPem =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB4hIjMzRERVVWZmd3eIiJmZqqq7u8zM3d3u7v8AAREi\n-----END PRIVATE KEY-----\n";

  it("a PEM with only a private key: EmptyInputError naming the file, saying keys are never read", () => {
    const e = refusal(() => read(keyPem, "key.pem"), EmptyInputError);
    expect(e.code).toBe("ERR_EMPTY_INPUT");
    expect(e.file).toBe("key.pem");
    expect(e.describe()).toMatch(/^key\.pem: .*'PRIVATE KEY'.*never read or stored/);
  });

  it("a PEM with only a certificate request or other non-certificate blocks", () => {
    const csr = "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n";
    const e = refusal(() => read(`${csr}${keyPem}`, "req.pem"), EmptyInputError);
    expect(e.code).toBe("ERR_EMPTY_INPUT");
    expect(e.describe()).toMatch(/'CERTIFICATE REQUEST'/);
  });

  it("a key beside a certificate or a CRL is fine: the key is ignored with a warning", () => {
    const res = read(`${keyPem}${r.pem}`, "both.pem");
    expect(res.certificates.map((c) => c.sha1)).toEqual([r.cert.sha1]);
    expect(res.warnings).toHaveLength(1);
    const c = crl({ issuer: r });
    const crlOnly = read(
      `-----BEGIN X509 CRL-----\n${Buffer.from(c).toString("base64")}\n-----END X509 CRL-----\n${keyPem}`,
      "crl.pem",
    );
    expect(crlOnly.certificates).toEqual([]);
    expect(crlOnly.crls).toHaveLength(1);
  });

  it("a PKCS#12 with a key and no certificate (openssl pkcs12 -export -nocerts)", () => {
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", t.path("k.pem")]);
    openssl(
      [
        "pkcs12",
        "-export",
        "-nocerts",
        "-inkey",
        t.path("k.pem"),
        "-passout",
        "pass:pw",
        "-out",
        t.path("k.p12"),
      ],
      {},
    );
    const e = refusal(
      () => readCertificateBytes(t.read("k.p12"), "k.p12", { password: "pw" }),
      EmptyInputError,
    );
    expect(e.code).toBe("ERR_EMPTY_INPUT");
    expect(e.describe()).toMatch(/^k\.p12: .*1 private key.*never extracted or stored/);
  });
});

describe("text encodings Windows tools write", () => {
  it("PEM and unarmoured base64 saved as UTF-16LE (PowerShell 5 Out-File) or UTF-16BE, with a BOM", () => {
    const le = (s: string) => Buffer.concat([Uint8Array.of(0xff, 0xfe), Buffer.from(s, "utf16le")]);
    const be = (s: string) => Buffer.concat([Uint8Array.of(0xfe, 0xff), Buffer.from(s, "utf16le").swap16()]);
    const pem = `${r.pem}\r\n${i.pem}`.replace(/\n/g, "\r\n");
    expect(read(le(pem)).certificates.map((c) => c.sha1)).toEqual([r.cert.sha1, i.cert.sha1]);
    expect(read(be(pem)).certificates.map((c) => c.sha1)).toEqual([r.cert.sha1, i.cert.sha1]);
    const b64 = Buffer.from(u.der).toString("base64");
    expect(read(le(b64)).certificates.map((c) => c.sha1)).toEqual([u.cert.sha1]);
    // A fault in UTF-16 text is reported at its byte in the file.
    const broken = `${r.pem.slice(0, 100)}!${r.pem.slice(101)}`;
    const e = refusal(() => read(le(broken), "u16.pem"), MalformedInputError);
    expect(e.offset).toBe(2 + 2 * 100);
    expect(refusal(() => read(Uint8Array.of(0xff, 0xfe), "bom-only.txt"), EmptyInputError).describe()).toBe(
      "bom-only.txt: empty input, no certificates",
    );
  });

  it("unarmoured base64 with a UTF-8 BOM (Notepad)", () => {
    const b64 = Buffer.from(i.der).toString("base64");
    const res = read(Buffer.concat([Uint8Array.of(0xef, 0xbb, 0xbf), Buffer.from(b64)]));
    expect(res.format).toBe("base64");
    expect(res.certificates[0].sha1).toBe(i.cert.sha1);
  });

  it("a fault in unarmoured base64 is reported at the base64 character in the file, not in the decoded bytes", () => {
    const der = Uint8Array.from(u.der);
    der[1] = 0x83; // the outer SEQUENCE claims a 3-byte length: runs past the end
    const text = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\r\n");
    const e = refusal(() => read(text, "bad.cer"), MalformedInputError);
    expect(e.describe()).toMatch(/^bad\.cer: /);
    expect(e.offset).toBe(0);
    // A fault deeper in: the serial number's INTEGER at decoded byte k is near text character 4k/3.
    const der2 = Uint8Array.from(u.der);
    const serialAt = der2.indexOf(0x02, 8);
    der2[serialAt + 1] = 0x7f;
    const text2 = Buffer.from(der2).toString("base64");
    const e2 = refusal(() => read(text2, "bad2.cer"), MalformedInputError);
    expect(e2.offset).toBeGreaterThan(0);
    expect(Math.abs(e2.offset! - Math.floor((serialAt * 4) / 3))).toBeLessThan(8);
  });

  it("an e-mail with PEM certificates pasted in its text (no S/MIME): the PEM certificates", () => {
    const mail = `From: pki@contoso.example\r\nSubject: our CA\r\nContent-Type: text/plain\r\n\r\nHere it is:\r\n${r.pem.replace(/\n/g, "\r\n")}`;
    const res = read(mail, "mail.eml");
    expect(res.format).toBe("pem");
    expect(res.certificates.map((c) => c.sha1)).toEqual([r.cert.sha1]);
  });
});
