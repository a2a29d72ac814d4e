/**
 * CMS SignerInfo (RFC 5652 section 5.3), decoded whole: the signer identifier, the algorithms, and the
 * signed attributes as typed values (RFC 5652 section 11: content type, message digest, signing time;
 * RFC 8551 2.5.2: S/MIME capabilities; RFC 2634 / RFC 5035: ESS signing certificate v1 and v2).
 *
 * Decoding never throws late: the structure of the SignerInfo is checked when it is read (a DerError
 * there makes the whole SignedData malformed, as before), and each typed attribute is decoded at the same
 * time into a value or an `AttributeFault`. What a fault means for a verdict is policy, decided in smime/.
 */

import { bytesEqual, hexUpper } from "../lib/bytes.js";
import {
  type DerElement,
  DerError,
  DerReader,
  decodeOidEl,
  decodeSmallInt,
  decodeTime,
  octetStringContents,
  TAG,
} from "../lib/der.js";
import { OID } from "../lib/oids.js";
import {
  type AlgorithmIdentifier,
  HASH_BY_OID,
  type HashName,
  readAlgorithmIdentifier,
  signatureAlgorithmFor,
} from "../lib/signature.js";
import type { Certificate } from "../x509/certificate.js";
import { type GeneralName, parseGeneralNames } from "../x509/general-name.js";
import { Name } from "../x509/name.js";
import { CMS_LIMITS } from "./limits.js";

export type SignerIdentifier =
  | { type: "issuerSerial"; issuer: DerElement; serial: Uint8Array }
  | { type: "ski"; ski: string };

/** One attribute as found: its type and the DER elements of its values. */
export interface Attribute {
  oid: string;
  values: DerElement[];
}

/** The signed attributes this module decodes into typed values. */
export type SignedAttributeName =
  | "contentType"
  | "messageDigest"
  | "signingTime"
  | "smimeCapabilities"
  | "signingCertificate"
  | "signingCertificateV2";

/** Attribute type OID -> its name here. */
export const SIGNED_ATTRIBUTE_OIDS: Readonly<Record<SignedAttributeName, string>> = {
  contentType: OID.contentType,
  messageDigest: OID.messageDigest,
  signingTime: OID.signingTime,
  smimeCapabilities: OID.smimeCapabilities,
  signingCertificate: OID.signingCertificate,
  signingCertificateV2: OID.signingCertificateV2,
};

const NAME_BY_OID = new Map<string, SignedAttributeName>(
  Object.entries(SIGNED_ATTRIBUTE_OIDS).map(([k, v]) => [v, k as SignedAttributeName]),
);

/**
 * A signed attribute that is not as the RFCs require.
 * - `missing`: contentType or messageDigest absent although signed attributes are present (RFC 5652 5.3);
 * - `repeated`: the attribute appears more than once (RFC 5652 11: MUST NOT); the first one is decoded;
 * - `values`: its SET holds other than exactly one value;
 * - `value`: the value does not decode as its type.
 */
export interface AttributeFault {
  attribute: SignedAttributeName;
  kind: "missing" | "repeated" | "values" | "value";
  /** What is wrong, in words. */
  detail: string;
  /** Absolute byte offset of the attribute or value concerned, when there is one. */
  offset?: number;
}

/** SMIMECapability (RFC 8551 2.5.2): an algorithm the sender supports, in order of preference. */
export interface SmimeCapability {
  oid: string;
  /** DER of the parameters, when present. */
  params?: Uint8Array;
}

/** ESSCertID (RFC 2634 5.4.1) or ESSCertIDv2 (RFC 5035 5.4.1.1). */
export interface EssCertId {
  /** The hash algorithm of certHash: SHA-1 for v1; for v2 as written, SHA-256 when absent (the DEFAULT). */
  hashAlgorithm: string;
  /** The hash as node:crypto names it, when known. */
  hash?: HashName;
  /** Hash of the whole DER certificate. */
  certHash: Uint8Array;
  issuerSerial?: { issuer: GeneralName[]; serial: Uint8Array };
}

/** SigningCertificate (v1, RFC 2634 5.4) or SigningCertificateV2 (RFC 5035 5.4.1). */
export interface EssSigningCertificate {
  version: 1 | 2;
  /** The first identifies the signer's certificate; further ones may identify its issuers. */
  certs: EssCertId[];
  /** PolicyInformation OIDs, when the policies field is present. */
  policies?: string[];
}

/** The signed attributes of one SignerInfo, typed. */
export interface SignedAttributes {
  /** The DER the signature covers: the attributes as found, re-tagged as an explicit SET OF. */
  der: Uint8Array;
  /** Every attribute as found, in order (typed or not). */
  list: Attribute[];
  /** Content type OID (RFC 5652 11.1). */
  contentType?: string;
  /** Message digest (RFC 5652 11.2), a view into the input. */
  messageDigest?: Uint8Array;
  /** Signing time (RFC 5652 11.3), in ms since the epoch. */
  signingTime?: number;
  smimeCapabilities?: SmimeCapability[];
  signingCertificate?: EssSigningCertificate;
  signingCertificateV2?: EssSigningCertificate;
  /** Every decoded attribute that is not as required; empty when all are well formed. */
  faults: AttributeFault[];
}

export interface SignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  /** The signed attributes, decoded ([0] IMPLICIT in the SignerInfo). */
  signedAttributes?: SignedAttributes;
  /** Same as `signedAttributes.der` (kept for callers of the earlier shape). */
  signedAttrsRaw?: Uint8Array;
  /** Same as `signedAttributes.list` (kept for callers of the earlier shape). */
  signedAttrs?: Attribute[];
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  unsignedAttrs?: Attribute[];
}

/** Reads one SignerInfo from `parent` (BER allowed); throws DerError on a structural fault. */
export function readSignerInfo(parent: DerReader): SignerInfo {
  const si = parent.sequence("SignerInfo");
  const version = decodeSmallInt(si.expect(TAG.INTEGER, "version"));
  let sid: SignerIdentifier;
  const s = si.read();
  if (s.tag === TAG.SEQUENCE) {
    const r = si.child(s);
    const issuer = r.expect(TAG.SEQUENCE, "issuer");
    const serial = r.expect(TAG.INTEGER, "serialNumber").value;
    sid = { type: "issuerSerial", issuer, serial };
  } else if (s.tag === 0x80) {
    sid = { type: "ski", ski: hexUpper(s.value) };
  } else throw new DerError("bad SignerIdentifier", s.offset);
  const digestAlgorithm = readAlgorithmIdentifier(si, "digestAlgorithm");
  const out = { version, sid, digestAlgorithm } as SignerInfo;
  const sa = si.optional(0xa0);
  if (sa) {
    // The signature covers the DER of the attributes with an explicit SET OF tag.
    const der = new Uint8Array(sa.raw); // a copy (the typed-array constructor copies in one go)
    der[0] = TAG.SET;
    const list = readAttributes(si.child(sa));
    const typed = decodeSignedAttributes(der, list);
    out.signedAttributes = typed;
    out.signedAttrsRaw = der;
    out.signedAttrs = list;
  }
  out.signatureAlgorithm = readAlgorithmIdentifier(si, "signatureAlgorithm");
  out.signature = octetStringContents(si.read());
  const ua = si.optional(0xa1);
  if (ua) out.unsignedAttrs = readAttributes(si.child(ua));
  return out;
}

/** SET OF Attribute; throws DerError on a structural fault or past CMS_LIMITS.maxAttributes. */
export function readAttributes(r: DerReader): Attribute[] {
  const out: Attribute[] = [];
  while (!r.done) {
    if (out.length >= CMS_LIMITS.maxAttributes) throw new DerError("too many attributes", r.position);
    const a = r.sequence("Attribute");
    const oid = decodeOidEl(a.read());
    const set = a.child(a.expect(TAG.SET, "attrValues"));
    const values: DerElement[] = [];
    while (!set.done) values.push(set.read());
    out.push({ oid, values });
  }
  return out;
}

/** The first attribute of type `oid`, if any. */
export function attribute(attrs: readonly Attribute[] | undefined, oid: string): Attribute | undefined {
  return attrs?.find((a) => a.oid === oid);
}

/**
 * Decodes the attributes this module knows into typed values. Never throws on bad values: each one that
 * does not decode becomes a fault (and its typed field stays undefined).
 */
export function decodeSignedAttributes(der: Uint8Array, list: Attribute[]): SignedAttributes {
  const out: SignedAttributes = { der, list, faults: [] };
  const seen = new Set<SignedAttributeName>();
  for (const a of list) {
    const name = NAME_BY_OID.get(a.oid);
    if (!name) continue;
    const at = a.values[0]?.offset;
    if (seen.has(name)) {
      out.faults.push({
        attribute: name,
        kind: "repeated",
        detail: `${name} appears more than once`,
        offset: at,
      });
      continue;
    }
    seen.add(name);
    if (a.values.length !== 1) {
      out.faults.push({
        attribute: name,
        kind: "values",
        detail: `${name} has ${a.values.length} values instead of one`,
        offset: at,
      });
      continue;
    }
    const v = a.values[0];
    try {
      switch (name) {
        case "contentType":
          out.contentType = decodeOidEl(v);
          break;
        case "messageDigest":
          if (v.tag !== TAG.OCTET_STRING)
            throw new DerError("messageDigest is not an OCTET STRING", v.offset);
          out.messageDigest = v.value;
          break;
        case "signingTime":
          out.signingTime = decodeTime(v);
          break;
        case "smimeCapabilities":
          out.smimeCapabilities = decodeCapabilities(v);
          break;
        case "signingCertificate":
          out.signingCertificate = decodeSigningCertificate(v, 1);
          break;
        case "signingCertificateV2":
          out.signingCertificateV2 = decodeSigningCertificate(v, 2);
          break;
      }
    } catch (e) {
      // Hostile values must never make the decoder throw: whatever went wrong is this attribute's fault.
      const detail = (e instanceof Error ? e.message : String(e)).replace(/ at byte \d+$/, "");
      out.faults.push({
        attribute: name,
        kind: "value",
        detail: detail.startsWith(name) ? detail : `${name}: ${detail}`,
        offset: e instanceof DerError ? e.offset : v.offset,
      });
    }
  }
  for (const name of ["contentType", "messageDigest"] as const) {
    if (!seen.has(name))
      out.faults.push({ attribute: name, kind: "missing", detail: `no ${name} attribute` });
  }
  return out;
}

/** SMIMECapabilities ::= SEQUENCE OF SEQUENCE { capabilityID OID, parameters ANY OPTIONAL } */
function decodeCapabilities(v: DerElement): SmimeCapability[] {
  if (v.tag !== TAG.SEQUENCE) throw new DerError("expected SMIMECapabilities (SEQUENCE)", v.offset);
  const r = DerReader.of(v);
  const out: SmimeCapability[] = [];
  while (!r.done) {
    if (out.length >= CMS_LIMITS.maxAttributes) throw new DerError("too many capabilities", r.position);
    const c = r.sequence("SMIMECapability");
    const oid = decodeOidEl(c.read());
    const cap: SmimeCapability = { oid };
    if (!c.done) cap.params = c.read().raw;
    c.end("SMIMECapability");
    out.push(cap);
  }
  return out;
}

/**
 * SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies SEQUENCE OF PolicyInformation OPTIONAL }
 * ESSCertID ::= SEQUENCE { certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING,
 *                            issuerSerial IssuerSerial OPTIONAL }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
 */
function decodeSigningCertificate(v: DerElement, version: 1 | 2): EssSigningCertificate {
  if (v.tag !== TAG.SEQUENCE) throw new DerError("expected SigningCertificate (SEQUENCE)", v.offset);
  const r = DerReader.of(v);
  const list = r.sequence("certs");
  const certs: EssCertId[] = [];
  while (!list.done) {
    if (certs.length >= CMS_LIMITS.maxAttributes) throw new DerError("too many ESSCertIDs", list.position);
    const c = list.sequence(version === 1 ? "ESSCertID" : "ESSCertIDv2");
    let hashAlgorithm: string = OID.sha1;
    if (version === 2) {
      hashAlgorithm =
        c.peekTag() === TAG.SEQUENCE ? readAlgorithmIdentifier(c, "hashAlgorithm").oid : OID.sha256;
    }
    const certHash = c.expect(TAG.OCTET_STRING, "certHash").value;
    const id: EssCertId = { hashAlgorithm, certHash };
    const hash = HASH_BY_OID[hashAlgorithm];
    if (hash) id.hash = hash;
    if (!c.done) {
      const is = c.sequence("IssuerSerial");
      const issuer = parseGeneralNames(is.expect(TAG.SEQUENCE, "issuer"));
      const serial = is.expect(TAG.INTEGER, "serialNumber").value;
      is.end("IssuerSerial");
      id.issuerSerial = { issuer, serial };
    }
    c.end("ESSCertID");
    certs.push(id);
  }
  if (certs.length === 0) throw new DerError("SigningCertificate lists no certificate", v.offset);
  const out: EssSigningCertificate = { version, certs };
  if (!r.done) {
    const pr = r.sequence("policies");
    const policies: string[] = [];
    while (!pr.done) {
      if (policies.length >= CMS_LIMITS.maxAttributes) throw new DerError("too many policies", pr.position);
      policies.push(decodeOidEl(pr.sequence("PolicyInformation").read()));
    }
    out.policies = policies;
  }
  r.end("SigningCertificate");
  return out;
}

// ---- the signer identifier --------------------------------------------------

/** Finds the certificate a SignerIdentifier names, among `pool`. */
export function findSignerCert(info: SignerInfo, pool: readonly Certificate[]): Certificate | undefined {
  const sid = info.sid;
  if (sid.type === "ski") {
    return pool.find((c) => c.subjectKeyIdentifier === sid.ski);
  }
  const serial = stripSerial(sid.serial);
  const sameSerial: Certificate[] = [];
  for (const c of pool)
    if (sameBytesFrom(c.serialNumber, serialStart(c.serialNumber), serial)) sameSerial.push(c);
  if (sameSerial.length === 0) return undefined;
  // Byte-identical issuer names first (the usual case); else RFC 5280 name comparison.
  const exact = sameSerial.find((c) => bytesEqual(c.issuer.der, sid.issuer.raw));
  if (exact) return exact;
  let issuerKey: string;
  try {
    issuerKey = new Name(sid.issuer).key;
  } catch {
    return undefined;
  }
  return sameSerial.find((c) => c.issuer.key === issuerKey);
}

function stripSerial(s: Uint8Array): Uint8Array {
  return s.subarray(serialStart(s));
}

/** Where a serial number starts once redundant leading zero octets are dropped. */
function serialStart(s: Uint8Array): number {
  let i = 0;
  while (i < s.length - 1 && s[i] === 0 && !(s[i + 1] & 0x80)) i++;
  return i;
}

/** True when `a` from `start` on equals `b` (no view made). */
function sameBytesFrom(a: Uint8Array, start: number, b: Uint8Array): boolean {
  if (a.length - start !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[start + i] !== b[i]) return false;
  return true;
}

/** How a signer is named when its certificate is missing. */
export function signerLabel(info: SignerInfo): string {
  const sid = info.sid;
  if (sid.type === "ski") return `unknown signer (subject key identifier ${sid.ski})`;
  let issuer = "?";
  try {
    issuer = new Name(sid.issuer).display;
  } catch {
    /* keep ? */
  }
  return `unknown signer (issuer '${issuer}', serial ${hexUpper(stripSerial(sid.serial))})`;
}

// ---- algorithms -------------------------------------------------------------

/**
 * CMS lets signatureAlgorithm name only the key type (rsaEncryption, id-dsa, id-ecPublicKey), the hash
 * coming from digestAlgorithm; map those to the combined algorithm node:crypto needs.
 */
export function effectiveSignatureAlgorithm(
  sig: AlgorithmIdentifier,
  digest: HashName,
): AlgorithmIdentifier | undefined {
  const family =
    sig.oid === OID.rsaEncryption
      ? "rsa"
      : sig.oid === OID.dsa
        ? "dsa"
        : sig.oid === OID.ecPublicKey
          ? "ecdsa"
          : undefined;
  if (!family) return sig;
  const oid = signatureAlgorithmFor(family, digest);
  return oid ? { oid, params: family === "rsa" ? Uint8Array.of(TAG.NULL, 0) : undefined } : undefined;
}
