/** cms/verify.ts: the RFC 5652 5.4-5.6 signature check as values, without any S/MIME policy. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseSignedData } from "../../src/cms/signed-data.js";
import { type ContentSource, checkSignature, signerAlgorithms } from "../../src/cms/verify.js";
import { encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { attr, type SignerSpec, signedData } from "../helpers/smime.js";
import { fixture } from "../smime/pki-fixture.js";

const f = fixture();
const CONTENT = Buffer.from("plain CMS content\n");

/** Plain CMS: one form, the bytes as they are. */
function only(bytes: Uint8Array): ContentSource<"raw"> {
  return {
    match: (test) => (test("raw") ? "raw" : undefined),
    digest: (hash) => createHash(hash).update(bytes).digest(),
    whole: () => bytes,
  };
}

function check(spec: Partial<SignerSpec>, content: Uint8Array = CONTENT, signer = f.rsa) {
  const sd = parseSignedData(signedData({ content: CONTENT, signers: [{ signer, ...spec }] }));
  const info = sd.signerInfos[0];
  const algs = signerAlgorithms(info);
  if (!algs.digest || !algs.signature) throw new Error("unresolved algorithms");
  return checkSignature(
    sd,
    info,
    only(content),
    { digest: algs.digest, signature: algs.signature },
    signer.cert.publicKey,
    signer.cert.publicKeyInfo.algorithm,
  );
}

describe("signerAlgorithms", () => {
  const infoOf = (spec: Partial<SignerSpec>, signer = f.rsa) =>
    parseSignedData(signedData({ content: CONTENT, signers: [{ signer, ...spec }] })).signerInfos[0];

  it("combines a key-type-only RSA OID with the digest, and keeps a combined one", () => {
    expect(signerAlgorithms(infoOf({ hash: "sha384" }))).toMatchObject({
      digest: "sha384",
      signature: { oid: OID.sha384WithRSA },
      signatureHash: "sha384",
    });
    expect(signerAlgorithms(infoOf({ keyTypeOnly: false, hash: "sha1" }))).toMatchObject({
      digest: "sha1",
      signature: { oid: OID.sha1WithRSA },
      signatureHash: "sha1",
    });
    expect(signerAlgorithms(infoOf({}, f.ed))).toMatchObject({
      digest: "sha256",
      signature: { oid: OID.ed25519 },
      signatureHash: undefined,
    });
  });

  it("leaves out what cannot be evaluated", () => {
    const info = infoOf({});
    expect(signerAlgorithms({ ...info, digestAlgorithm: { oid: "1.2.3.4" } })).toEqual({});
    const pssBad = {
      oid: OID.rsaPss,
      params: tlv(TAG.SEQUENCE, tlv(0xa0, tlv(TAG.OID, encodeOid("1.2.3")))),
    };
    expect(signerAlgorithms({ ...info, signatureAlgorithm: pssBad })).toEqual({ digest: "sha256" });
  });
});

describe("checkSignature", () => {
  it("verifies signed attributes and the content, RSA and Ed25519", () => {
    expect(check({})).toEqual({ ok: true, form: "raw" });
    expect(check({}, CONTENT, f.ed)).toEqual({ ok: true, form: "raw" });
    expect(check({ signedAttrs: false })).toEqual({ ok: true, form: "raw" });
  });

  it("names each reason a signature does not verify", () => {
    expect(check({}, Buffer.from("other content\n"))).toEqual({ ok: false, fault: "digest-mismatch" });
    expect(check({ badSignature: true })).toEqual({ ok: false, fault: "signature-invalid" });
    expect(check({ signedAttrs: false }, Buffer.from("other"))).toEqual({
      ok: false,
      fault: "content-signature-invalid",
    });
    expect(check({ omitAttrs: ["messageDigest"] })).toEqual({ ok: false, fault: "attributes-incomplete" });
    expect(check({ contentTypeAttr: OID.signedData })).toEqual({ ok: false, fault: "content-type-mismatch" });
    expect(
      check({
        omitAttrs: ["messageDigest"],
        extraAttrs: [attr(OID.messageDigest, tlv(TAG.INTEGER, Uint8Array.of(1)))],
      }),
    ).toEqual({ ok: false, fault: "digest-not-octets" });
  });

  it("needs signed attributes for content other than id-data", () => {
    const sd = parseSignedData(
      signedData({ content: CONTENT, signers: [{ signer: f.rsa, signedAttrs: false }] }),
    );
    const info = sd.signerInfos[0];
    const algs = signerAlgorithms(info);
    const r = checkSignature(
      { encapContentType: OID.signedData },
      info,
      only(CONTENT),
      { digest: algs.digest!, signature: algs.signature! },
      f.rsa.cert.publicKey,
      f.rsa.cert.publicKeyInfo.algorithm,
    );
    expect(r).toEqual({ ok: false, fault: "attributes-required" });
  });

  it("tries the forms in the source's order and reports the one that matched", () => {
    const lf = Buffer.from("a\nb\n");
    const crlf = Buffer.from("a\r\nb\r\n");
    const sd = parseSignedData(signedData({ content: crlf, signers: [{ signer: f.ec }] }));
    const info = sd.signerInfos[0];
    const algs = signerAlgorithms(info);
    const tried: string[] = [];
    const two: ContentSource<"raw" | "crlf"> = {
      match: (test) => {
        for (const form of ["raw", "crlf"] as const) {
          tried.push(form);
          if (test(form)) return form;
        }
        return undefined;
      },
      digest: (hash, form) =>
        createHash(hash)
          .update(form === "raw" ? lf : crlf)
          .digest(),
      whole: (form) => (form === "raw" ? lf : crlf),
    };
    const r = checkSignature(
      sd,
      info,
      two,
      { digest: algs.digest!, signature: algs.signature! },
      f.ec.cert.publicKey,
      f.ec.cert.publicKeyInfo.algorithm,
    );
    expect(r).toEqual({ ok: true, form: "crlf" });
    expect(tried).toEqual(["raw", "crlf"]);
  });
});
