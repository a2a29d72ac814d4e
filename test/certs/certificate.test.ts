import { describe, expect, it } from "vitest";
import { OID } from "../../src/lib/oids.js";
import type { ChainResult, ValidationOptions } from "../../src/path/types.js";
import { validateChain } from "../../src/path/validate.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { Certificate } from "../../src/x509/certificate.js";
import { summarize } from "../../src/x509/describe.js";
import { type ExtensionSpec, intermediate, issue, leaf, root } from "../helpers/pki.js";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const at = { now: NOW };
const junk = Uint8Array.from(Buffer.from("not DER at all"));
const opts = (untrusted: Certificate[] = []): ValidationOptions => ({
  time: NOW,
  checkRevocation: false,
  untrusted: untrusted.map((cert) => ({ cert, source: "message" as const })),
});
const nonconforming = (r: ChainResult) =>
  r.path.flatMap((e) => e.problems).filter((p) => p.code === "NONCONFORMING_CERT");

describe("Certificate: every extension parsed once, in the constructor", () => {
  const r = root("CN=Fault Root", at);

  it("decodes the typed extensions into plain fields", () => {
    const ica = intermediate("CN=Fault CA", r, { ...at, pathLen: 0 });
    const l = leaf("ok@contoso.com", ica, at);
    expect(ica.cert.basicConstraints).toEqual({ ca: true, pathLen: 0 });
    expect(ica.cert.keyUsage).toEqual([5, 6]);
    expect(ica.cert.subjectKeyIdentifier).toBe(Buffer.from(ica.ski).toString("hex").toUpperCase());
    expect(l.cert.authorityKeyIdentifier?.keyId).toBe(ica.cert.subjectKeyIdentifier);
    expect(l.cert.extKeyUsage).toEqual([OID.emailProtection]);
    expect(l.cert.subjectAltName).toEqual([{ type: "email", value: "ok@contoso.com" }]);
    expect(l.cert.certificatePolicies).toBeUndefined();
    expect(l.cert.extensionFaults).toEqual([]);
  });

  it("a malformed extension is a fault with its OID and offset; its field is undefined and nothing throws later", () => {
    const bad: ExtensionSpec[] = [
      { oid: OID.subjectAltName, value: junk },
      { oid: OID.keyUsage, value: Uint8Array.of(0x04, 0x00) },
      { oid: OID.authorityInfoAccess, value: junk },
    ];
    const l = issue({ subject: "CN=broken", issuer: r, keyUsage: null, extensions: bad, ...at });
    // The constructor did the parsing: a second certificate from the same bytes lists the same faults.
    const again = new Certificate(l.der);
    expect(again.extensionFaults).toEqual(l.cert.extensionFaults);
    const faults = l.cert.extensionFaults;
    expect(faults.map((f) => f.oid)).toEqual([OID.subjectAltName, OID.keyUsage, OID.authorityInfoAccess]);
    for (const f of faults) {
      expect(f.message).toMatch(
        new RegExp(`^bad ${f.oid.replace(/\./g, "\\.")} extension in certificate 'broken': `),
      );
      expect(f.message).not.toMatch(/at byte/);
      // The offset points into the certificate's own DER, inside the extension's value.
      expect(f.offset).toBeGreaterThan(0);
      expect(f.offset).toBeLessThan(l.der.length);
    }
    expect(faults[0].offset).toBeLessThan(faults[1].offset);
    expect(l.cert.subjectAltName).toBeUndefined();
    expect(l.cert.keyUsage).toBeUndefined();
    expect(l.cert.authorityInfoAccess).toBeUndefined();
    // Every derived getter answers from the fields.
    expect(l.cert.emails).toEqual([]);
    expect(l.cert.name).toBe("broken");
    expect(l.cert.caIssuersUrls).toEqual([]);
    expect(l.cert.ocspUrls).toEqual([]);
    expect(l.cert.keyUsageNames).toEqual([]);
    expect(l.cert.role).toBe("leaf");
    expect(summarize(l.cert).keyUsage).toBeNull();
  });

  it("path validation reports each fault once, as NONCONFORMING_CERT on its certificate, and nothing else about it", async () => {
    const bad: ExtensionSpec[] = [
      { oid: OID.subjectAltName, value: junk },
      { oid: OID.certificatePolicies, value: junk },
    ];
    const l = issue({
      subject: "CN=twice",
      issuer: r,
      eku: [OID.emailProtection],
      extensions: bad,
      ...at,
    });
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts());
    expect(res.verdict).toBe("invalid");
    const found = nonconforming(res);
    expect(
      found.map((p) => [
        p.cert,
        p.message.includes(OID.subjectAltName),
        p.message.includes(OID.certificatePolicies),
      ]),
    ).toEqual([
      [l.cert.sha1, true, false],
      [l.cert.sha1, false, true],
    ]);
    expect(res.problems.map((p) => p.code)).toEqual(["NONCONFORMING_CERT", "NONCONFORMING_CERT"]);

    // A faulty CA: its fault is reported on it, once.
    const badCaExt: ExtensionSpec = { oid: OID.nameConstraints, critical: true, value: junk };
    const ica = intermediate("CN=Faulty CA", r, { ...at, extensions: [badCaExt] });
    const l2 = leaf("two@contoso.com", ica, at);
    const res2 = await validateChain(l2.cert, new TrustList([r.cert]), opts([ica.cert]));
    expect(res2.verdict).toBe("invalid");
    expect(nonconforming(res2).map((p) => p.cert)).toEqual([ica.cert.sha1]);
    expect(res2.problems.map((p) => p.code)).toEqual(["NONCONFORMING_CERT"]);
  });

  it("a malformed AIA or CRL distribution point counts as absent: the path stays valid, with one warning", async () => {
    const l = issue({
      subject: "CN=locator",
      issuer: r,
      eku: [OID.emailProtection],
      extensions: [
        { oid: OID.authorityInfoAccess, value: junk },
        { oid: OID.crlDistributionPoints, value: junk },
      ],
      ...at,
    });
    expect(l.cert.caIssuersUrls).toEqual([]);
    expect(l.cert.crlDistributionPoints).toBeUndefined();
    const res = await validateChain(l.cert, new TrustList([r.cert]), opts());
    expect(res.verdict).toBe("valid");
    expect(res.problems).toEqual([]);
    expect(nonconforming(res).map((p) => [p.severity, p.message.includes(OID.authorityInfoAccess)])).toEqual([
      ["warning", true],
      ["warning", false],
    ]);
  });
});
