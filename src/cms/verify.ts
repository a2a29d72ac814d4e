/**
 * The CMS signature check of one SignerInfo (RFC 5652 sections 5.4 to 5.6): the algorithms it names, its
 * signed attributes against the content (content type, message digest) and the signature over them (or over
 * the content itself when there are none), through node:crypto. Results are values; what they mean for a
 * verdict (which algorithms are refused, which problem code a fault is) is policy, decided in smime/.
 */
import type { KeyObject } from "node:crypto";
import { bytesEqual } from "../lib/bytes.js";
import { OID } from "../lib/oids.js";
import {
  type AlgorithmIdentifier,
  HASH_BY_OID,
  type HashName,
  signatureHash,
  verifySignature,
} from "../lib/signature.js";
import type { SignedData } from "./signed-data.js";
import {
  type AttributeFault,
  effectiveSignatureAlgorithm,
  type SignedAttributeName,
  type SignerInfo,
} from "./signer-info.js";

/**
 * The content a signature covers, in one or more forms: S/MIME also tries the CRLF-canonical form of a
 * clear-signed part stored with LF line ends; plain CMS has one form.
 */
export interface ContentSource<F extends string> {
  /** The first form for which `test` holds, in the order they are to be tried. */
  match(test: (form: F) => boolean): F | undefined;
  /** The digest of a form. */
  digest(hash: HashName, form: F): Uint8Array;
  /** The bytes of a form as one buffer (for signatures without signed attributes). */
  whole(form: F): Uint8Array;
}

/** The signed attributes the signature check rests on (RFC 5652 5.4): their faults decide the check. */
export const VERIFICATION_ATTRIBUTES: ReadonlySet<SignedAttributeName> = new Set<SignedAttributeName>([
  "contentType",
  "messageDigest",
]);

/** The algorithms a SignerInfo names, resolved; a part left undefined is one this project cannot evaluate. */
export interface SignerAlgorithms {
  /** The digest (digestAlgorithm). */
  digest?: HashName;
  /** The signature algorithm as node:crypto needs it (a key-type-only OID combined with the digest). */
  signature?: AlgorithmIdentifier;
  /** The hash inside the signature algorithm, when it names one. */
  signatureHash?: HashName;
}

export function signerAlgorithms(info: SignerInfo): SignerAlgorithms {
  const digest = HASH_BY_OID[info.digestAlgorithm.oid];
  if (!digest) return {};
  const alg = effectiveSignatureAlgorithm(info.signatureAlgorithm, digest);
  if (!alg) return { digest };
  try {
    return { digest, signature: alg, signatureHash: signatureHash(alg) };
  } catch {
    // Unreadable parameters (RSASSA-PSS): not an algorithm that can be evaluated.
    return { digest };
  }
}

/**
 * Why a signature did not verify:
 * - `attributes-incomplete`: signed attributes without a single contentType and messageDigest;
 * - `content-type-mismatch`: the contentType attribute is not the encapsulated content's type (or unreadable);
 * - `digest-not-octets`: the messageDigest value is not an OCTET STRING;
 * - `digest-mismatch`: no form of the content has the signed digest;
 * - `signature-invalid`: the signature over the signed attributes does not verify;
 * - `attributes-required`: no signed attributes, for content other than id-data (RFC 5652 5.3);
 * - `content-signature-invalid`: no signed attributes, and the signature over no form of the content verifies.
 */
export type SignatureFault =
  | "attributes-incomplete"
  | "content-type-mismatch"
  | "digest-not-octets"
  | "digest-mismatch"
  | "signature-invalid"
  | "attributes-required"
  | "content-signature-invalid";

export type SignatureCheck<F extends string> = { ok: true; form: F } | { ok: false; fault: SignatureFault };

/**
 * Checks the signature of `info` over `content` with the signer's `key` (`keyAlgorithm`: its SPKI algorithm
 * OID). `algorithms` must have come from `signerAlgorithms(info)` with `digest` and `signature` set.
 */
export function checkSignature<F extends string>(
  sd: Pick<SignedData, "encapContentType">,
  info: SignerInfo,
  content: ContentSource<F>,
  algorithms: { digest: HashName; signature: AlgorithmIdentifier },
  key: KeyObject,
  keyAlgorithm: string,
): SignatureCheck<F> {
  const { digest, signature: alg } = algorithms;
  const attrs = info.signedAttributes;
  if (attrs) {
    if (lacks(attrs.faults, "contentType") || lacks(attrs.faults, "messageDigest"))
      return { ok: false, fault: "attributes-incomplete" };
    // An undecodable contentType value cannot match either.
    if (attrs.contentType !== sd.encapContentType) return { ok: false, fault: "content-type-mismatch" };
    const md = attrs.messageDigest;
    if (md === undefined) return { ok: false, fault: "digest-not-octets" };
    const form = content.match((f) => bytesEqual(content.digest(digest, f), md));
    if (!form) return { ok: false, fault: "digest-mismatch" };
    if (!safeVerify(alg, attrs.der, info.signature, key, keyAlgorithm))
      return { ok: false, fault: "signature-invalid" };
    return { ok: true, form };
  }
  if (sd.encapContentType !== OID.data) return { ok: false, fault: "attributes-required" };
  const form = content.match((f) => safeVerify(alg, content.whole(f), info.signature, key, keyAlgorithm));
  return form ? { ok: true, form } : { ok: false, fault: "content-signature-invalid" };
}

/** True when the attribute is absent or does not hold exactly one value. */
function lacks(faults: readonly AttributeFault[], name: SignedAttributeName): boolean {
  return faults.some((f) => f.attribute === name && (f.kind === "missing" || f.kind === "values"));
}

function safeVerify(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  sig: Uint8Array,
  key: KeyObject,
  keyAlg: string,
): boolean {
  try {
    return verifySignature(alg, data, sig, key, keyAlg);
  } catch {
    return false;
  }
}
