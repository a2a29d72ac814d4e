/**
 * CMS ContentInfo / SignedData (RFC 5652), parsed with the zero-copy reader in BER mode (mail clients
 * use indefinite lengths). Only parsing lives here; verification is in smime/.
 */

import { MalformedInputError } from "../errors.js";
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
import { CMS_LIMITS } from "./limits.js";
import { readSignerInfo, type SignerInfo } from "./signer-info.js";

export interface ContentInfo {
  contentType: string;
  /** The [0] EXPLICIT content element. */
  content?: DerElement;
}

export {
  type Attribute,
  type AttributeFault,
  attribute,
  type EssCertId,
  type EssSigningCertificate,
  type SignedAttributeName,
  type SignedAttributes,
  type SignerIdentifier,
  type SignerInfo,
  type SmimeCapability,
} from "./signer-info.js";
export { CMS_LIMITS };

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

/** The CMS content type of a DER/BER ContentInfo, or undefined when it is not one. */
export function cmsContentType(der: Uint8Array): string | undefined {
  // Only the header and the first element are read, so a truncated object is still recognised.
  if (der.length < 4 || der[0] !== 0x30) return undefined;
  let p = 2;
  const l = der[1];
  if (l & 0x80) {
    const n = l & 0x7f;
    if (n > 4) return undefined;
    p += n;
  }
  try {
    return decodeOidEl(new DerReader(der.subarray(p), p).read());
  } catch {
    return undefined;
  }
}

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
    signerInfos.push(readSignerInfo(sis));
  }
  return { version, digestAlgorithms, encapContentType, encapContent, certificates, crls, signerInfos };
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
