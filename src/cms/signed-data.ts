/**
 * CMS ContentInfo / SignedData (RFC 5652), parsed with the zero-copy reader in BER mode (mail clients
 * use indefinite lengths). Only parsing lives here; verification is in smime/.
 */

import { MalformedInputError } from "../errors.js";
import { hexUpper } from "../lib/bytes.js";
import {
  type DerElement,
  DerError,
  DerReader,
  decodeOidEl,
  decodeSmallInt,
  octetStringContents,
  TAG,
} from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { type AlgorithmIdentifier, readAlgorithmIdentifier } from "../lib/signature.js";

export interface ContentInfo {
  contentType: string;
  /** The [0] EXPLICIT content element. */
  content?: DerElement;
}

export type SignerIdentifier =
  | { type: "issuerSerial"; issuer: DerElement; serial: Uint8Array }
  | { type: "ski"; ski: string };

export interface Attribute {
  oid: string;
  values: DerElement[];
}

export interface SignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  /** The signed attributes as found ([0] IMPLICIT); re-tagged as SET for the signature check. */
  signedAttrsRaw?: Uint8Array;
  signedAttrs?: Attribute[];
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  unsignedAttrs?: Attribute[];
}

export interface SignedData {
  version: number;
  digestAlgorithms: AlgorithmIdentifier[];
  encapContentType: string;
  /** Encapsulated content (opaque signing), or undefined for a detached signature. */
  encapContent?: Uint8Array;
  /** DER of each certificate in the certificates field (other formats skipped). */
  certificates: Uint8Array[];
  /** DER of each CRL in the crls field. */
  crls: Uint8Array[];
  signerInfos: SignerInfo[];
}

/** Bounds against hostile input. */
export const CMS_LIMITS = { maxCertificates: 500, maxCrls: 500, maxSigners: 64, maxAttributes: 256 };

export function parseContentInfo(bytes: Uint8Array, file?: string): ContentInfo {
  return wrap(file, () => {
    const top = new DerReader(bytes, 0, true);
    const ci = top.sequence("ContentInfo");
    const contentType = decodeOidEl(ci.read());
    const content = ci.optional(0xa0);
    return content ? { contentType, content } : { contentType };
  });
}

/** Parses DER/BER ContentInfo that must hold SignedData. */
export function parseSignedData(bytes: Uint8Array, file?: string): SignedData {
  const ci = parseContentInfo(bytes, file);
  if (ci.contentType !== OID.signedData) {
    const what =
      ci.contentType === OID.envelopedData || ci.contentType === OID.authEnvelopedData
        ? "encrypted (EnvelopedData)"
        : ci.contentType;
    throw new MalformedInputError(`CMS content is ${what}, not SignedData`, { file });
  }
  if (!ci.content) throw new MalformedInputError("SignedData has no content", { file });
  return wrap(file, () => parseSignedDataContent(ci.content!));
}

function parseSignedDataContent(explicit: DerElement): SignedData {
  const outer = new DerReader(explicit.value, explicit.offset + explicit.headerLength, true);
  const sd = outer.sequence("SignedData");
  const version = decodeSmallInt(sd.expect(TAG.INTEGER, "version"));
  const digestAlgorithms: AlgorithmIdentifier[] = [];
  const das = sd.child(sd.expect(TAG.SET, "digestAlgorithms"));
  while (!das.done) digestAlgorithms.push(readAlgorithmIdentifier(das));
  const eci = sd.sequence("EncapsulatedContentInfo");
  const encapContentType = decodeOidEl(eci.read());
  let encapContent: Uint8Array | undefined;
  const ec = eci.optional(0xa0);
  if (ec) {
    const inner = eci.child(ec);
    encapContent = octetStringContents(inner.read());
  }
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const certs = sd.optional(0xa0);
  if (certs) {
    const r = sd.child(certs);
    while (!r.done) {
      const c = r.read();
      if (c.tag === TAG.SEQUENCE) {
        if (certificates.length >= CMS_LIMITS.maxCertificates)
          throw new DerError("too many certificates", c.offset);
        certificates.push(c.raw);
      }
    }
  }
  const cr = sd.optional(0xa1);
  if (cr) {
    const r = sd.child(cr);
    while (!r.done) {
      const c = r.read();
      if (c.tag === TAG.SEQUENCE) {
        if (crls.length >= CMS_LIMITS.maxCrls) throw new DerError("too many CRLs", c.offset);
        crls.push(c.raw);
      }
    }
  }
  const signerInfos: SignerInfo[] = [];
  const sis = sd.child(sd.expect(TAG.SET, "signerInfos"));
  while (!sis.done) {
    if (signerInfos.length >= CMS_LIMITS.maxSigners) throw new DerError("too many signers", sis.position);
    signerInfos.push(parseSignerInfo(sis));
  }
  return { version, digestAlgorithms, encapContentType, encapContent, certificates, crls, signerInfos };
}

function parseSignerInfo(parent: DerReader): SignerInfo {
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
  const out: SignerInfo = { version, sid, digestAlgorithm } as SignerInfo;
  const sa = si.optional(0xa0);
  if (sa) {
    // The signature covers the DER of the attributes with an explicit SET OF tag.
    const raw = Uint8Array.from(sa.raw);
    raw[0] = TAG.SET;
    out.signedAttrsRaw = raw;
    out.signedAttrs = parseAttributes(si.child(sa));
  }
  out.signatureAlgorithm = readAlgorithmIdentifier(si, "signatureAlgorithm");
  out.signature = octetStringContents(si.read());
  const ua = si.optional(0xa1);
  if (ua) out.unsignedAttrs = parseAttributes(si.child(ua));
  return out;
}

function parseAttributes(r: DerReader): Attribute[] {
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

export function attribute(attrs: Attribute[] | undefined, oid: string): Attribute | undefined {
  return attrs?.find((a) => a.oid === oid);
}

function wrap<T>(file: string | undefined, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DerError) {
      throw new MalformedInputError(`malformed CMS/PKCS#7: ${e.message.replace(/ at byte \d+$/, "")}`, {
        file,
        offset: e.offset,
        cause: e,
      });
    }
    throw e;
  }
}
