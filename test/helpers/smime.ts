/**
 * Test-only CMS SignedData and S/MIME message factory (signed with node:crypto), on top of pki.ts.
 * Exact control over what a signer writes: digest, signature algorithm naming, signed attributes or none,
 * SKI or issuer+serial, certificates and CRLs carried, detached or encapsulated content, CRLF or LF.
 */
import { createHash } from "node:crypto";
import { encodeOid, TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { type Hash, type Issued, signWith } from "./pki.js";

const oid = (o: string) => tlv(TAG.OID, encodeOid(o));
const NULL = tlv(TAG.NULL);

const HASH_OID: Record<Hash, string> = {
  md5: OID.md5,
  sha1: OID.sha1,
  sha224: OID.sha224,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

function utcTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return tlv(
    TAG.UTCTime,
    Buffer.from(
      `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`,
    ),
  );
}

/** The DER of an Attribute: SEQUENCE { type OID, SET OF values } (values given as DER). */
export function attr(type: string, ...values: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, oid(type), tlv(TAG.SET, ...values));
}

function sortDer(items: Uint8Array[]): Uint8Array[] {
  return [...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export interface SignerSpec {
  signer: Issued;
  hash?: Hash;
  /** Name the signature algorithm by key type only (rsaEncryption), as many clients do. Default true for RSA. */
  keyTypeOnly?: boolean;
  /** Signed attributes (contentType, signingTime, messageDigest); default true. */
  signedAttrs?: boolean;
  signingTime?: number;
  /** Identify the signer by subject key identifier instead of issuer+serial. */
  ski?: boolean;
  /** Override the messageDigest value (to make a wrong one). */
  messageDigest?: Uint8Array;
  /** Override the contentType attribute's value (an OID; default id-data). */
  contentTypeAttr?: string;
  /** Leave these signed attributes out (to make an incomplete set). */
  omitAttrs?: ("contentType" | "messageDigest" | "signingTime")[];
  /** Further signed attributes, each the DER of an Attribute SEQUENCE (see `attr`), signed with the rest. */
  extraAttrs?: Uint8Array[];
  /** Corrupt the signature value. */
  badSignature?: boolean;
}

export interface SignedDataSpec {
  content: Uint8Array;
  signers: SignerSpec[];
  /** Leave the content out (detached signature). */
  detached?: boolean;
  /** Certificates to carry (DER). Default: each signer's certificate. */
  certs?: Uint8Array[];
  crls?: Uint8Array[];
}

function signerInfo(s: SignerSpec, content: Uint8Array): Uint8Array {
  const hash = s.hash ?? "sha256";
  const key = s.signer.key;
  const digestAlg = tlv(TAG.SEQUENCE, oid(HASH_OID[hash]), NULL);
  let sigAlg: Uint8Array;
  if (key.spec.type === "rsa") {
    const combined = {
      md5: OID.md5WithRSA,
      sha1: OID.sha1WithRSA,
      sha224: OID.sha224WithRSA,
      sha256: OID.sha256WithRSA,
      sha384: OID.sha384WithRSA,
      sha512: OID.sha512WithRSA,
    }[hash];
    sigAlg = tlv(TAG.SEQUENCE, oid(s.keyTypeOnly === false ? combined : OID.rsaEncryption), NULL);
  } else if (key.spec.type === "ec") {
    const combined = {
      md5: "",
      sha1: OID.ecdsaWithSHA1,
      sha224: OID.ecdsaWithSHA224,
      sha256: OID.ecdsaWithSHA256,
      sha384: OID.ecdsaWithSHA384,
      sha512: OID.ecdsaWithSHA512,
    }[hash];
    sigAlg = tlv(TAG.SEQUENCE, oid(combined));
  } else sigAlg = tlv(TAG.SEQUENCE, oid(OID.ed25519));
  const cert = s.signer.cert;
  const sid = s.ski
    ? tlv(0x80, s.signer.ski)
    : tlv(TAG.SEQUENCE, cert.issuer.der, tlv(TAG.INTEGER, cert.serialNumber));
  let toSign: Uint8Array;
  let attrsField: Uint8Array[] = [];
  if (s.signedAttrs !== false) {
    const md = s.messageDigest ?? createHash(hash).update(content).digest();
    const omit = new Set(s.omitAttrs ?? []);
    const attrs = sortDer([
      ...(omit.has("contentType")
        ? []
        : [tlv(TAG.SEQUENCE, oid(OID.contentType), tlv(TAG.SET, oid(s.contentTypeAttr ?? OID.data)))]),
      ...(omit.has("signingTime")
        ? []
        : [tlv(TAG.SEQUENCE, oid(OID.signingTime), tlv(TAG.SET, utcTime(s.signingTime ?? Date.now())))]),
      ...(omit.has("messageDigest")
        ? []
        : [tlv(TAG.SEQUENCE, oid(OID.messageDigest), tlv(TAG.SET, tlv(TAG.OCTET_STRING, md)))]),
      ...(s.extraAttrs ?? []),
    ]);
    toSign = tlv(TAG.SET, ...attrs);
    attrsField = [tlv(0xa0, ...attrs)];
  } else toSign = content;
  const sig = Uint8Array.from(signWith(key, hash, toSign));
  if (s.badSignature) sig[sig.length >> 1] ^= 0x01;
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(s.ski ? 3 : 1)),
    sid,
    digestAlg,
    ...attrsField,
    sigAlg,
    tlv(TAG.OCTET_STRING, sig),
  );
}

/** A ContentInfo holding SignedData (DER). */
export function signedData(spec: SignedDataSpec): Uint8Array {
  const hashes = [...new Set(spec.signers.map((s) => s.hash ?? "sha256"))];
  const certs = spec.certs ?? spec.signers.map((s) => s.signer.der);
  const eci = spec.detached
    ? tlv(TAG.SEQUENCE, oid(OID.data))
    : tlv(TAG.SEQUENCE, oid(OID.data), tlv(0xa0, tlv(TAG.OCTET_STRING, spec.content)));
  const sd = tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(spec.signers.some((s) => s.ski) ? 3 : 1)),
    tlv(TAG.SET, ...hashes.map((h) => tlv(TAG.SEQUENCE, oid(HASH_OID[h]), NULL))),
    eci,
    ...(certs.length ? [tlv(0xa0, ...certs)] : []),
    ...(spec.crls?.length ? [tlv(0xa1, ...spec.crls)] : []),
    tlv(TAG.SET, ...spec.signers.map((s) => signerInfo(s, spec.content))),
  );
  return tlv(TAG.SEQUENCE, oid(OID.signedData), tlv(0xa0, sd));
}

function b64lines(der: Uint8Array, eol: string): string {
  return (
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,76}/g) ?? []
  ).join(eol);
}

export interface MessageSpec {
  from?: string;
  to?: string;
  subject?: string;
  /** The body part to sign (headers + body, CRLF line ends). Default: a short text/plain part. */
  part?: string | Uint8Array;
  signers: SignerSpec[];
  /** "detached" (multipart/signed, default) or "opaque" (application/pkcs7-mime). */
  mode?: "detached" | "opaque";
  certs?: Uint8Array[];
  crls?: Uint8Array[];
  /** Store the whole message with LF line ends (as mail stores do) after signing. */
  lf?: boolean;
  boundary?: string;
  /** Extra top-level headers. */
  headers?: string[];
}

export const DEFAULT_PART =
  "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello Bob,\r\n\r\nthe quarterly report is attached.\r\n\r\nAlice\r\n";

/** A signed S/MIME message (bytes). */
export function smimeMessage(spec: MessageSpec): Buffer {
  const part =
    spec.part instanceof Uint8Array ? Buffer.from(spec.part) : Buffer.from(spec.part ?? DEFAULT_PART, "utf8");
  const eol = "\r\n";
  const head = [
    ...(spec.from !== undefined ? [`From: ${spec.from}`] : []),
    `To: ${spec.to ?? "bob@example.com"}`,
    `Subject: ${spec.subject ?? "Signed test message"}`,
    "MIME-Version: 1.0",
    ...(spec.headers ?? []),
  ];
  let msg: Buffer;
  if ((spec.mode ?? "detached") === "detached") {
    const cms = signedData({
      content: part,
      signers: spec.signers,
      detached: true,
      certs: spec.certs,
      crls: spec.crls,
    });
    const b = spec.boundary ?? "----=_smimetrust_test_7f3a";
    const hash = spec.signers[0]?.hash ?? "sha256";
    msg = Buffer.concat([
      Buffer.from(
        [
          ...head,
          `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${hash.replace("sha", "sha-")}; boundary="${b}"`,
          "",
          "This is an S/MIME signed message",
          "",
          `--${b}`,
          "",
        ].join(eol),
      ),
      part,
      Buffer.from(
        [
          "",
          `--${b}`,
          'Content-Type: application/pkcs7-signature; name="smime.p7s"',
          "Content-Transfer-Encoding: base64",
          'Content-Disposition: attachment; filename="smime.p7s"',
          "",
          b64lines(cms, eol),
          `--${b}--`,
          "",
        ].join(eol),
      ),
    ]);
  } else {
    const cms = signedData({ content: part, signers: spec.signers, certs: spec.certs, crls: spec.crls });
    msg = Buffer.from(
      [
        ...head,
        'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="smime.p7m"',
        "",
        b64lines(cms, eol),
        "",
      ].join(eol),
    );
  }
  return spec.lf ? Buffer.from(msg.toString("latin1").replace(/\r\n/g, "\n"), "latin1") : msg;
}

/** Wraps a message as the second part of a multipart/mixed message (a forwarded attachment). */
export function forwardAsAttachment(inner: Uint8Array, from = "carol@example.com"): Buffer {
  return Buffer.concat([
    Buffer.from(
      [
        `From: ${from}`,
        "To: dave@example.com",
        "Subject: Fwd: signed",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="fwd-boundary"',
        "",
        "--fwd-boundary",
        "Content-Type: text/plain",
        "",
        "See the attached message.",
        "--fwd-boundary",
        "Content-Type: message/rfc822",
        "",
        "",
      ].join("\r\n"),
    ),
    inner,
    Buffer.from("\r\n--fwd-boundary--\r\n"),
  ]);
}
