/** The caIssuers reader takes one DER certificate or a certs-only PKCS#7, and refuses every other format. */
import { describe, expect, it } from "vitest";
import { createCertsOnlyPkcs7 } from "../../src/cms/certs-only.js";
import { MalformedInputError } from "../../src/errors.js";
import { AIA_MAX_CERTIFICATES, readAiaCertificates } from "../../src/formats/aia.js";
import { createSst } from "../../src/formats/sst.js";
import { intermediate, root } from "../helpers/pki.js";

const r = root("CN=AIA Root");
const i = intermediate("CN=AIA Issuing CA", r);
const URL = "http://pki.example/ca.crt";

const refused = (bytes: Uint8Array) => {
  try {
    readAiaCertificates(bytes, URL);
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedInputError);
    expect((e as MalformedInputError).file).toBe(URL);
    return (e as Error).message;
  }
  throw new Error("accepted");
};

describe("readAiaCertificates", () => {
  it("reads one DER certificate", () => {
    expect(readAiaCertificates(i.der, URL).map((c) => c.sha1)).toEqual([i.cert.sha1]);
  });

  it("reads a certs-only PKCS#7 in order", () => {
    const p7 = createCertsOnlyPkcs7([i.der, r.der]);
    expect(readAiaCertificates(p7, URL).map((c) => c.sha1)).toEqual([i.cert.sha1, r.cert.sha1]);
  });

  it("refuses PEM, .sst, concatenated DER, trailing bytes and random bytes", () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(i.der).toString("base64")}\n-----END CERTIFICATE-----\n`;
    expect(refused(new TextEncoder().encode(pem))).toMatch(/one DER certificate or a certs-only PKCS#7/);
    expect(refused(createSst([{ der: i.der }]))).toMatch(/one DER certificate or a certs-only PKCS#7/);
    expect(refused(Buffer.concat([i.der, r.der]))).toMatch(/one DER certificate or a certs-only PKCS#7/);
    expect(refused(Buffer.concat([i.der, Buffer.from([0])]))).toMatch(/one DER certificate/);
    expect(refused(Uint8Array.of(1, 2, 3, 4))).toMatch(/one DER certificate/);
  });

  it(`refuses more than ${AIA_MAX_CERTIFICATES} certificates`, () => {
    const many = Array.from({ length: AIA_MAX_CERTIFICATES + 1 }, () => i.der);
    expect(refused(createCertsOnlyPkcs7(many))).toMatch(/more than 100 certificates/);
  });

  it("names the URL when the certificate itself is malformed", () => {
    const bad = Uint8Array.from(i.der);
    bad[bad.length - 40] ^= 0xff;
    bad[8] = 0x05; // break the TBSCertificate's first element
    const msg = refused(bad);
    expect(msg.length).toBeGreaterThan(0);
  });
});
