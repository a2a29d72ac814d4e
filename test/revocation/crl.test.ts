import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import { TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { CRL_REASON, lookupSerial, parseCrl, readCrls, serialKey } from "../../src/revocation/crl.js";
import { toPem } from "../../src/x509/certificate.js";
import { crl, idp, root } from "../helpers/pki.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PKITS_CRLS = path.resolve(repoRoot, "test/corpora/pkits/crls");
const T = Date.UTC(2026, 0, 10, 12);
const ca = root("CN=CRL Parse CA,O=Test", { now: T });
const other = root("CN=Other Issuer,O=Test", { now: T });

describe("parseCrl", () => {
  it("reads the fields, extensions and entries", () => {
    const inval = tlv(TAG.GeneralizedTime, Buffer.from("20260101000000Z"));
    const der = crl({
      issuer: ca,
      thisUpdate: T,
      nextUpdate: T + 86_400_000,
      crlNumber: 7,
      deltaBase: 5,
      idp: idp({ uri: "http://x.test/a.crl", onlyUser: true, onlySomeReasons: [1, 2], indirect: true }),
      revoked: [
        { serial: Uint8Array.of(1), reason: CRL_REASON.keyCompromise, date: T - 1000 },
        {
          serial: Uint8Array.of(2),
          certificateIssuer: other.cert.subject.der,
          extensions: [{ oid: OID.invalidityDate, value: inval }],
        },
        { serial: Uint8Array.of(3) },
      ],
    });
    const c = parseCrl(der, "test.crl");
    expect(c.version).toBe(2);
    expect(c.source).toBe("test.crl");
    expect(c.issuer.equals(ca.cert.subject)).toBe(true);
    expect([c.thisUpdate, c.nextUpdate]).toEqual([T, T + 86_400_000]);
    expect(c.crlNumber).toBe(7n);
    expect(c.deltaBase).toBe(5n);
    expect(c.authorityKeyIdentifier?.keyId).toBe(Buffer.from(ca.ski).toString("hex").toUpperCase());
    const i = c.issuingDistributionPoint!;
    expect(i.fullName).toEqual([{ type: "uri", value: "http://x.test/a.crl" }]);
    expect([
      i.onlyContainsUserCerts,
      i.onlyContainsCACerts,
      i.indirectCRL,
      i.onlyContainsAttributeCerts,
    ]).toEqual([true, false, true, false]);
    expect(i.onlySomeReasons).toEqual([1, 2]);
    expect(c.revoked.map((e) => e.serial)).toEqual(["01", "02", "03"]);
    expect(c.revoked[0]).toMatchObject({ reason: 1, revocationDate: T - 1000 });
    expect(c.revoked[0].certificateIssuer).toBeUndefined();
    expect(c.revoked[1].invalidityDate).toBe(Date.UTC(2026, 0, 1));
    // certificateIssuer carries over to the following entries.
    const issuerOf = (n: number) => {
      const g = c.revoked[n].certificateIssuer?.[0];
      return g?.type === "dn" ? g.value.key : undefined;
    };
    expect(issuerOf(1)).toBe(other.cert.subject.key);
    expect(issuerOf(2)).toBe(other.cert.subject.key);
    expect(c.unknownCriticalExtensions).toEqual([]);
    expect(c.hasUnknownCriticalEntryExtension).toBe(false);
    expect(lookupSerial(c, Uint8Array.of(3)).length).toBe(1);
    expect(lookupSerial(c, "04")).toEqual([]);
    expect(c.signatureAlgorithmName).toBe("SHA256-ECDSA");
  });

  it("flags unknown critical CRL and entry extensions", () => {
    const x = { oid: "1.2.3.4", critical: true, value: tlv(TAG.NULL) };
    const c = parseCrl(
      crl({ issuer: ca, extensions: [x], revoked: [{ serial: Uint8Array.of(1), extensions: [x] }] }),
    );
    expect(c.unknownCriticalExtensions).toEqual(["1.2.3.4"]);
    expect(c.hasUnknownCriticalEntryExtension).toBe(true);
    expect(c.revoked[0].unknownCritical).toEqual(["1.2.3.4"]);
  });

  it("keys serials in minimal two's complement", () => {
    expect(serialKey(Uint8Array.of(0, 0x80))).toBe("0080");
    expect(serialKey(Uint8Array.of(0, 0, 0x7f))).toBe("7F");
    expect(serialKey(Uint8Array.of(0xff, 0xff))).toBe("FF");
    expect(serialKey(Uint8Array.of(0xff, 0x7f))).toBe("FF7F");
  });

  it("throws MalformedInputError with the offset on bad input", () => {
    const good = crl({ issuer: ca });
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, good.length - 10), /not a valid CRL/],
      [Uint8Array.from([...good, 0]), /unexpected data/],
      [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), /not a valid CRL/],
    ];
    for (const [bytes, re] of cases) {
      let err: unknown;
      try {
        parseCrl(bytes, "bad.crl");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MalformedInputError);
      const m = err as MalformedInputError;
      expect(m.code).toBe("ERR_MALFORMED_INPUT");
      expect(m.file).toBe("bad.crl");
      expect(typeof m.offset).toBe("number");
      expect(m.message).toMatch(re);
    }
    // Offset of trailing garbage is the byte after the CRL.
    let offset: number | undefined = -1;
    try {
      parseCrl(Uint8Array.from([...good, 0, 0]));
    } catch (e) {
      offset = (e as MalformedInputError).offset;
    }
    expect(offset).toBe(good.length);
  });

  it("reads PEM and DER through readCrls", () => {
    const a = crl({ issuer: ca, crlNumber: 1 });
    const b = crl({ issuer: other, crlNumber: 2 });
    const pem = Buffer.from(toPem("X509 CRL", a) + toPem("X509 CRL", b));
    expect(readCrls(new Uint8Array(pem)).map((c) => c.crlNumber)).toEqual([1n, 2n]);
    expect(readCrls(a).length).toBe(1);
    expect(() =>
      readCrls(new Uint8Array(Buffer.from("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"))),
    ).toThrow(MalformedInputError);
  });

  it("parses all 173 PKITS CRLs", () => {
    const files = readdirSync(PKITS_CRLS).filter((f) => f.endsWith(".crl"));
    expect(files.length).toBe(173);
    let entries = 0;
    for (const f of files)
      entries += parseCrl(new Uint8Array(readFileSync(path.join(PKITS_CRLS, f))), f).revoked.length;
    expect(entries).toBeGreaterThan(30);
    const neg = parseCrl(
      new Uint8Array(readFileSync(path.join(PKITS_CRLS, "NegativeSerialNumberCACRL.crl"))),
    );
    expect(neg.revoked.map((e) => e.serial)).toEqual(["FF"]);
    const unknown = parseCrl(
      new Uint8Array(readFileSync(path.join(PKITS_CRLS, "UnknownCRLExtensionCACRL.crl"))),
    );
    expect(unknown.unknownCriticalExtensions.length).toBe(1);
  });
});
