/**
 * cms/signer-info.ts: SignerInfo decoded whole, signed attributes as typed values (RFC 5652 11, RFC 8551
 * 2.5.2, RFC 2634 / RFC 5035 ESS signing certificate v1 and v2), and the problem each malformed attribute
 * gives in verify (smime/ decides that).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSignedData } from "../../src/cms/signed-data.js";
import {
  decodeSignedAttributes,
  readAttributes,
  SIGNED_ATTRIBUTE_OIDS,
  type SignedAttributeName,
  type SignedAttributes,
  type SignerInfo,
} from "../../src/cms/signer-info.js";
import { MalformedInputError } from "../../src/errors.js";
import { DerReader, encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { verifyMessage } from "../../src/smime/verify.js";
import { openssl, tempDir } from "../certs/openssl.js";
import { attr, type SignerSpec, signedData, smimeMessage } from "../helpers/smime.js";
import { codes, context, fixture } from "../smime/pki-fixture.js";

const f = fixture();
const CONTENT = Buffer.from("Content-Type: text/plain\r\n\r\nHello\r\n");
const oid = (o: string) => tlv(TAG.OID, encodeOid(o));
const int = (...b: number[]) => tlv(TAG.INTEGER, Uint8Array.from(b));
const seq = (...p: Uint8Array[]) => tlv(TAG.SEQUENCE, ...p);
const octets = (b: Uint8Array) => tlv(TAG.OCTET_STRING, b);
const utc = (s: string) => tlv(TAG.UTCTime, Buffer.from(s));
const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest();

function signer(spec: Partial<SignerSpec> = {}): SignerInfo {
  const sd = parseSignedData(signedData({ content: CONTENT, signers: [{ signer: f.rsa, ...spec }] }));
  return sd.signerInfos[0];
}
function attrsOf(spec: Partial<SignerSpec> = {}): SignedAttributes {
  const a = signer(spec).signedAttributes;
  if (!a) throw new Error("no signed attributes");
  return a;
}

/** IssuerSerial of the RSA signer: GeneralNames { directoryName issuer }, serial. */
const issuerSerial = () =>
  seq(seq(tlv(0xa4, f.rsa.cert.issuer.der)), tlv(TAG.INTEGER, f.rsa.cert.serialNumber));

describe("SignerInfo: typed signed attributes", () => {
  it("decodes contentType, messageDigest and signingTime, and keeps the DER the signature covers", () => {
    const at = Date.UTC(2026, 4, 17, 8, 30, 15);
    const info = signer({ signingTime: at });
    const a = info.signedAttributes!;
    expect(a.contentType).toBe(OID.data);
    expect(Buffer.from(a.messageDigest!).equals(sha("sha256", CONTENT))).toBe(true);
    expect(a.signingTime).toBe(at);
    expect(a.faults).toEqual([]);
    expect(a.list.map((x) => x.oid).sort()).toEqual(
      [OID.contentType, OID.messageDigest, OID.signingTime].sort(),
    );
    expect(a.der[0]).toBe(TAG.SET);
    // The earlier fields stay as they were.
    expect(info.signedAttrsRaw).toBe(a.der);
    expect(info.signedAttrs).toBe(a.list);
  });

  it("reads a GeneralizedTime signingTime with a fraction", () => {
    const a = attrsOf({
      omitAttrs: ["signingTime"],
      extraAttrs: [attr(OID.signingTime, tlv(TAG.GeneralizedTime, Buffer.from("20500102030405.25Z")))],
    });
    expect(a.signingTime).toBe(Date.UTC(2050, 0, 2, 3, 4, 5) + 250);
    expect(a.faults).toEqual([]);
  });

  it("has no signedAttributes when the signer has none", () => {
    const info = signer({ signedAttrs: false });
    expect(info.signedAttributes).toBeUndefined();
    expect(info.signedAttrs).toBeUndefined();
  });

  it("decodes S/MIME capabilities in order, with their parameters", () => {
    const caps = seq(seq(oid(OID.aes256CBC)), seq(oid(OID.rc2CBC), int(0x00, 0x80)), seq(oid(OID.sha256)));
    const a = attrsOf({ extraAttrs: [attr(OID.smimeCapabilities, caps)] });
    expect(a.faults).toEqual([]);
    expect(a.smimeCapabilities).toEqual([
      { oid: OID.aes256CBC },
      { oid: OID.rc2CBC, params: Uint8Array.from([TAG.INTEGER, 2, 0x00, 0x80]) },
      { oid: OID.sha256 },
    ]);
  });

  it("decodes the capabilities openssl cms -sign writes", () => {
    const dir = tempDir();
    try {
      openssl(
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          "k.pem",
          "-out",
          "c.pem",
          "-subj",
          "/CN=Alice",
          "-days",
          "2",
        ],
        { cwd: dir.dir },
      );
      const der = openssl(
        ["cms", "-sign", "-binary", "-signer", "c.pem", "-inkey", "k.pem", "-outform", "DER"],
        {
          cwd: dir.dir,
          input: "hello\n",
        },
      );
      const a = parseSignedData(der).signerInfos[0].signedAttributes!;
      expect(a.faults).toEqual([]);
      expect(a.contentType).toBe(OID.data);
      expect(a.signingTime).toBeGreaterThan(Date.now() - 600_000);
      const capOids = a.smimeCapabilities!.map((c) => c.oid);
      expect(capOids).toContain(OID.aes256CBC);
      expect(capOids).toContain(OID.desEde3CBC);
    } finally {
      dir.cleanup();
    }
  });

  it("decodes ESS signingCertificate (v1): SHA-1 hash, issuer and serial, policies", () => {
    const certHash = sha("sha1", f.rsa.der);
    const value = seq(seq(seq(octets(certHash), issuerSerial())), seq(seq(oid("1.3.6.1.4.1.311.99.1"))));
    const a = attrsOf({ extraAttrs: [attr(OID.signingCertificate, value)] });
    expect(a.faults).toEqual([]);
    const sc = a.signingCertificate!;
    expect(sc.version).toBe(1);
    expect(sc.policies).toEqual(["1.3.6.1.4.1.311.99.1"]);
    expect(sc.certs).toHaveLength(1);
    const id = sc.certs[0];
    expect(id.hashAlgorithm).toBe(OID.sha1);
    expect(id.hash).toBe("sha1");
    expect(Buffer.from(id.certHash).equals(certHash)).toBe(true);
    const dn = id.issuerSerial!.issuer[0];
    expect(dn.type).toBe("dn");
    expect(dn.type === "dn" && dn.value.key).toBe(f.rsa.cert.issuer.key);
    expect(Buffer.from(id.issuerSerial!.serial).equals(Buffer.from(f.rsa.cert.serialNumber))).toBe(true);
    expect(a.signingCertificateV2).toBeUndefined();
  });

  it("decodes ESS signingCertificateV2: SHA-256 by default, another hash when named, several certificates", () => {
    const value = seq(
      seq(
        seq(octets(sha("sha256", f.rsa.der))),
        seq(seq(oid(OID.sha384)), octets(sha("sha384", f.ca.der)), issuerSerial()),
      ),
    );
    const a = attrsOf({ extraAttrs: [attr(OID.signingCertificateV2, value)] });
    expect(a.faults).toEqual([]);
    const sc = a.signingCertificateV2!;
    expect(sc.version).toBe(2);
    expect(sc.policies).toBeUndefined();
    expect(sc.certs.map((c) => [c.hashAlgorithm, c.hash, c.issuerSerial !== undefined])).toEqual([
      [OID.sha256, "sha256", false],
      [OID.sha384, "sha384", true],
    ]);
    expect(Buffer.from(sc.certs[1].certHash).equals(sha("sha384", f.ca.der))).toBe(true);
  });
});

describe("SignerInfo: malformed signed attributes become faults, never exceptions", () => {
  const cases: [string, Partial<SignerSpec>, { attribute: string; kind: string; detail: RegExp }][] = [
    [
      "signingTime that is not a time",
      { omitAttrs: ["signingTime"], extraAttrs: [attr(OID.signingTime, octets(Buffer.from("yesterday")))] },
      { attribute: "signingTime", kind: "value", detail: /^signingTime: expected a time$/ },
    ],
    [
      "signingTime without the Z",
      { omitAttrs: ["signingTime"], extraAttrs: [attr(OID.signingTime, utc("260517083015"))] },
      { attribute: "signingTime", kind: "value", detail: /UTCTime must be YYMMDDHHMMSSZ/ },
    ],
    [
      "signingTime with two values",
      {
        omitAttrs: ["signingTime"],
        extraAttrs: [attr(OID.signingTime, utc("260517083015Z"), utc("260518083015Z"))],
      },
      { attribute: "signingTime", kind: "values", detail: /2 values instead of one/ },
    ],
    [
      "smimeCapabilities that is not a SEQUENCE",
      { extraAttrs: [attr(OID.smimeCapabilities, int(1))] },
      { attribute: "smimeCapabilities", kind: "value", detail: /expected SMIMECapabilities/ },
    ],
    [
      "a capability without its OID",
      { extraAttrs: [attr(OID.smimeCapabilities, seq(seq(int(1))))] },
      { attribute: "smimeCapabilities", kind: "value", detail: /expected OBJECT IDENTIFIER/ },
    ],
    [
      "signingCertificate listing no certificate",
      { extraAttrs: [attr(OID.signingCertificate, seq(seq()))] },
      { attribute: "signingCertificate", kind: "value", detail: /lists no certificate/ },
    ],
    [
      "signingCertificateV2 whose certHash is not an OCTET STRING",
      { extraAttrs: [attr(OID.signingCertificateV2, seq(seq(seq(int(5)))))] },
      { attribute: "signingCertificateV2", kind: "value", detail: /expected certHash/ },
    ],
    [
      "signingCertificate with data after the IssuerSerial",
      {
        extraAttrs: [
          attr(OID.signingCertificate, seq(seq(seq(octets(new Uint8Array(20)), issuerSerial(), int(1))))),
        ],
      },
      { attribute: "signingCertificate", kind: "value", detail: /unexpected data after ESSCertID/ },
    ],
    [
      "no contentType",
      { omitAttrs: ["contentType"] },
      { attribute: "contentType", kind: "missing", detail: /^no contentType attribute$/ },
    ],
    [
      "a contentType that is not an OID",
      { omitAttrs: ["contentType"], extraAttrs: [attr(OID.contentType, octets(Buffer.from("data")))] },
      { attribute: "contentType", kind: "value", detail: /expected OBJECT IDENTIFIER/ },
    ],
    [
      "no messageDigest",
      { omitAttrs: ["messageDigest"] },
      { attribute: "messageDigest", kind: "missing", detail: /^no messageDigest attribute$/ },
    ],
    [
      "a messageDigest that is not an OCTET STRING",
      { omitAttrs: ["messageDigest"], extraAttrs: [attr(OID.messageDigest, int(1, 2, 3))] },
      { attribute: "messageDigest", kind: "value", detail: /^messageDigest is not an OCTET STRING$/ },
    ],
    [
      "a messageDigest with no value",
      { omitAttrs: ["messageDigest"], extraAttrs: [attr(OID.messageDigest)] },
      { attribute: "messageDigest", kind: "values", detail: /0 values instead of one/ },
    ],
  ];
  for (const [label, spec, want] of cases) {
    it(label, () => {
      const a = attrsOf(spec);
      expect(a.faults).toHaveLength(1);
      expect(a.faults[0]).toMatchObject({ attribute: want.attribute, kind: want.kind });
      expect(a.faults[0].detail).toMatch(want.detail);
      expect(a[want.attribute as keyof SignedAttributes]).toBeUndefined();
    });
  }

  it("an attribute that appears twice: the first one counts, the repeat is a fault", () => {
    const a = attrsOf({
      signingTime: Date.UTC(2026, 0, 1),
      extraAttrs: [attr(OID.signingTime, utc("300101000000Z"))],
    });
    // DER sorting puts the shorter-or-smaller encoding first; both are UTCTime, 2026 sorts before 2030.
    expect(a.signingTime).toBe(Date.UTC(2026, 0, 1));
    expect(a.faults).toEqual([
      expect.objectContaining({
        attribute: "signingTime",
        kind: "repeated",
        detail: "signingTime appears more than once",
      }),
    ]);
  });

  it("a fault's offset points into the input", () => {
    const der = signedData({
      content: CONTENT,
      signers: [{ signer: f.rsa, extraAttrs: [attr(OID.smimeCapabilities, int(7))] }],
    });
    const fault = parseSignedData(der).signerInfos[0].signedAttributes!.faults[0];
    expect(der[fault.offset!]).toBe(TAG.INTEGER);
    expect(der[fault.offset! + 2]).toBe(7);
  });

  it("a structural fault in the attribute set still makes the SignedData malformed", () => {
    const der = signedData({ content: CONTENT, signers: [{ signer: f.rsa, extraAttrs: [int(1)] }] });
    expect(() => parseSignedData(der)).toThrow(MalformedInputError);
    expect(() => parseSignedData(der)).toThrow(/expected Attribute/);
  });
});

describe("verify: what each malformed signed attribute is reported as", () => {
  const verify = (spec: Partial<SignerSpec>) =>
    verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, ...spec }],
        certs: [f.rsa.der, f.ca.der],
      }),
      context(),
    );

  it("attributes the signature does not rest on: a warning, the signature stays valid", async () => {
    for (const [extra, omit, detail] of [
      [attr(OID.signingTime, octets(Buffer.from("x"))), ["signingTime"], "signingTime: expected a time"],
      [
        attr(OID.signingTime, utc("260517083015Z"), utc("260517083016Z")),
        ["signingTime"],
        "signingTime has 2 values",
      ],
      [attr(OID.smimeCapabilities, int(1)), [], "smimeCapabilities: expected SMIMECapabilities"],
      [
        attr(OID.signingCertificate, seq(seq())),
        [],
        "signingCertificate: SigningCertificate lists no certificate",
      ],
      [attr(OID.signingCertificateV2, int(1)), [], "signingCertificateV2: expected SigningCertificate"],
    ] as const) {
      const r = await verify({ extraAttrs: [extra], omitAttrs: [...omit] });
      expect(codes(r)).toEqual(["SIGNED_ATTRIBUTE_MALFORMED"]);
      expect(r.verdict).toBe("valid");
      const p = r.signers[0].problems[0];
      expect(p.severity).toBe("warning");
      expect(p.message).toContain(detail);
      if (omit.length) expect(r.signers[0].signingTime).toBeNull();
    }
  });

  it("well-formed capabilities and ESS attributes change nothing", async () => {
    const r = await verify({
      extraAttrs: [
        attr(OID.smimeCapabilities, seq(seq(oid(OID.aes256CBC)))),
        attr(OID.signingCertificateV2, seq(seq(seq(octets(sha("sha256", f.rsa.der)))))),
      ],
    });
    expect(codes(r)).toEqual([]);
    expect(r.verdict).toBe("valid");
  });

  it("a repeated messageDigest: the first decides, the repeat is a warning", async () => {
    // The fabricated ff ff ... digest sorts after the real one (DER SET OF order), so the real one is first.
    const r = await verify({ extraAttrs: [attr(OID.messageDigest, octets(new Uint8Array(32).fill(0xff)))] });
    expect(codes(r)).toEqual(["SIGNED_ATTRIBUTE_MALFORMED"]);
    expect(r.verdict).toBe("valid");
  });

  it("contentType or messageDigest missing or not single: MALFORMED", async () => {
    for (const spec of [
      { omitAttrs: ["contentType"] },
      { omitAttrs: ["messageDigest"] },
      { omitAttrs: ["messageDigest"], extraAttrs: [attr(OID.messageDigest)] },
      { omitAttrs: ["contentType"], extraAttrs: [attr(OID.contentType, oid(OID.data), oid(OID.data))] },
    ] as Partial<SignerSpec>[]) {
      const r = await verify(spec);
      expect(codes(r)).toEqual(["MALFORMED"]);
      expect(r.signers[0].problems[0].message).toContain(
        "signed attributes lack a single contentType and messageDigest",
      );
      expect(r.verdict).toBe("invalid");
    }
  });

  it("a contentType that is not the content's, or not an OID at all: SIGNATURE_INVALID", async () => {
    for (const spec of [
      { contentTypeAttr: OID.signedData },
      { omitAttrs: ["contentType"], extraAttrs: [attr(OID.contentType, octets(Buffer.from("data")))] },
    ] as Partial<SignerSpec>[]) {
      const r = await verify(spec);
      expect(codes(r)).toEqual(["SIGNATURE_INVALID"]);
      expect(r.signers[0].problems[0].message).toContain(
        "the contentType attribute does not match the content",
      );
    }
  });

  it("a messageDigest that is not an OCTET STRING: MALFORMED", async () => {
    const r = await verify({ omitAttrs: ["messageDigest"], extraAttrs: [attr(OID.messageDigest, int(1))] });
    expect(codes(r)).toEqual(["MALFORMED"]);
    expect(r.signers[0].problems[0].message).toContain("messageDigest is not an OCTET STRING");
  });

  it("an unreadable signingTime with --at signing: judged at the current time, with the warning", async () => {
    const r = await verifyMessage(
      smimeMessage({
        from: "alice@contoso.com",
        signers: [{ signer: f.rsa, omitAttrs: ["signingTime"], extraAttrs: [attr(OID.signingTime, int(1))] }],
        certs: [f.rsa.der, f.ca.der],
      }),
      context({ at: "signing" }),
    );
    expect(codes(r)).toEqual(["SIGNED_ATTRIBUTE_MALFORMED"]);
    expect(r.verdict).toBe("valid");
    expect(r.signers[0].signingTime).toBeNull();
  });
});

describe("SignerInfo: hostile attribute values", () => {
  const TYPED = Object.values(SIGNED_ATTRIBUTE_OIDS);
  // A value: random bytes, or random bytes under a random tag, or nested SEQUENCEs of those (the shapes the
  // decoders walk into).
  const leaf = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((b) => tlv(TAG.SEQUENCE, b)),
    fc.tuple(fc.integer({ min: 0, max: 0x3e }), fc.uint8Array({ maxLength: 40 })).map(([t, b]) => tlv(t, b)),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("v") as fc.Arbitrary<Uint8Array>, { maxLength: 4 }).map((xs) => tlv(TAG.SEQUENCE, ...xs)),
      fc.array(tie("v") as fc.Arbitrary<Uint8Array>, { maxLength: 3 }).map((xs) => tlv(0xa4, ...xs)),
    ),
  })).v as fc.Arbitrary<Uint8Array>;

  it("never make the decoder throw: each bad value is a fault of its attribute", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPED),
        fc.array(value, { minLength: 1, maxLength: 2 }),
        (type, values) => {
          const der = tlv(TAG.SET, attr(type, ...values));
          let list: ReturnType<typeof readAttributes>;
          try {
            list = readAttributes(DerReader.of(new DerReader(der).read()));
          } catch {
            return; // structurally broken: the SignedData is malformed, as before
          }
          const a = decodeSignedAttributes(der, list);
          const name = (Object.keys(SIGNED_ATTRIBUTE_OIDS) as SignedAttributeName[]).find(
            (k) => SIGNED_ATTRIBUTE_OIDS[k] === type,
          )!;
          const faults = a.faults.filter((x) => x.attribute === name);
          // Either the value decoded, or there is exactly one fault for it.
          if (a[name] === undefined) expect(faults).toHaveLength(1);
          else expect(faults).toEqual([]);
        },
      ),
      { numRuns: 3000, seed: 10 },
    );
  });
});
