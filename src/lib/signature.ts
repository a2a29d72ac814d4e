/**
 * Signature verification through node:crypto, keyed by the X.509 / CMS algorithm identifiers.
 * Parsing is ours; the arithmetic is OpenSSL's.
 */
import { constants, createPublicKey, type KeyObject, verify } from "node:crypto";
import { UnsupportedError } from "../errors.js";
import { DerError, DerReader, decodeOidEl, decodeSmallInt, encodeOid, parseOne, TAG, tlv } from "./der.js";
import { OID } from "./oids.js";

export type HashName = "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

export const HASH_BY_OID: Record<string, HashName> = {
  [OID.md5]: "md5",
  [OID.sha1]: "sha1",
  [OID.sha224]: "sha224",
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

/** Signature algorithm OID -> (key family, hash). */
const SIG_ALGS: Record<string, { family: "rsa" | "ecdsa" | "dsa"; hash: HashName }> = {
  [OID.md5WithRSA]: { family: "rsa", hash: "md5" },
  [OID.sha1WithRSA]: { family: "rsa", hash: "sha1" },
  [OID.sha1WithRSAOiw]: { family: "rsa", hash: "sha1" },
  [OID.sha224WithRSA]: { family: "rsa", hash: "sha224" },
  [OID.sha256WithRSA]: { family: "rsa", hash: "sha256" },
  [OID.sha384WithRSA]: { family: "rsa", hash: "sha384" },
  [OID.sha512WithRSA]: { family: "rsa", hash: "sha512" },
  [OID.ecdsaWithSHA1]: { family: "ecdsa", hash: "sha1" },
  [OID.ecdsaWithSHA224]: { family: "ecdsa", hash: "sha224" },
  [OID.ecdsaWithSHA256]: { family: "ecdsa", hash: "sha256" },
  [OID.ecdsaWithSHA384]: { family: "ecdsa", hash: "sha384" },
  [OID.ecdsaWithSHA512]: { family: "ecdsa", hash: "sha512" },
  [OID.dsaWithSHA1]: { family: "dsa", hash: "sha1" },
  [OID.dsaWithSHA224]: { family: "dsa", hash: "sha224" },
  [OID.dsaWithSHA256]: { family: "dsa", hash: "sha256" },
};

/** (key family, hash) -> the standard combined signature algorithm OID (the first of SIG_ALGS wins). */
const SIG_ALG_BY_FAMILY_HASH = new Map<string, string>();
for (const [oid, a] of Object.entries(SIG_ALGS)) {
  const k = `${a.family}/${a.hash}`;
  if (!SIG_ALG_BY_FAMILY_HASH.has(k)) SIG_ALG_BY_FAMILY_HASH.set(k, oid);
}

/** The combined signature algorithm for a key family and a hash (CMS may name only the key type). */
export function signatureAlgorithmFor(family: "rsa" | "ecdsa" | "dsa", hash: HashName): string | undefined {
  return SIG_ALG_BY_FAMILY_HASH.get(`${family}/${hash}`);
}

export interface AlgorithmIdentifier {
  oid: string;
  /** DER of the parameters, if present (NULL included). */
  params?: Uint8Array;
  /** Absolute offset, for messages. */
  offset?: number;
}

export function readAlgorithmIdentifier(r: DerReader, what = "AlgorithmIdentifier"): AlgorithmIdentifier {
  const el = r.expect(TAG.SEQUENCE, what);
  const s = DerReader.of(el);
  const oid = decodeOidEl(s.read());
  const p = s.done ? undefined : s.read();
  s.end(what);
  return p ? { oid, params: p.raw, offset: el.offset } : { oid, offset: el.offset };
}

export interface PssParams {
  hash: HashName;
  mgfHash: HashName;
  saltLength: number;
}

export function parsePssParams(params: Uint8Array | undefined): PssParams {
  const out: PssParams = { hash: "sha1", mgfHash: "sha1", saltLength: 20 };
  if (!params || (params.length === 2 && params[0] === TAG.NULL)) return out;
  const r = DerReader.of(parseOne(params, "RSASSA-PSS-params"));
  const h = r.optional(0xa0);
  if (h) out.hash = hashOf(readAlgorithmIdentifier(DerReader.of(h)).oid);
  const m = r.optional(0xa1);
  if (m) {
    const mgf = readAlgorithmIdentifier(DerReader.of(m));
    if (mgf.oid !== OID.mgf1 || !mgf.params)
      throw new UnsupportedError(`unsupported PSS mask generation ${mgf.oid}`);
    out.mgfHash = hashOf(readAlgorithmIdentifier(new DerReader(mgf.params)).oid);
  }
  const s = r.optional(0xa2);
  if (s) out.saltLength = decodeSmallInt(parseOne(s.value, "saltLength"));
  const t = r.optional(0xa3);
  if (t && decodeSmallInt(parseOne(t.value, "trailerField")) !== 1)
    throw new UnsupportedError("unsupported PSS trailer field");
  if (out.hash !== out.mgfHash) {
    // OpenSSL accepts differing MGF hashes only through the low-level API; Node cannot express it.
    throw new UnsupportedError(`RSA-PSS with MGF1-${out.mgfHash} differing from ${out.hash}`);
  }
  return out;
}

function hashOf(oid: string): HashName {
  const h = HASH_BY_OID[oid];
  if (!h) throw new UnsupportedError(`unsupported hash algorithm ${oid}`);
  return h;
}

/** A human name for a signature algorithm ("sha256WithRSAEncryption", "RSA-PSS/SHA-256", "Ed25519"). */
export function signatureAlgorithmName(alg: AlgorithmIdentifier): string {
  if (alg.oid === OID.rsaPss) {
    try {
      return `RSA-PSS/${parsePssParams(alg.params).hash.toUpperCase()}`;
    } catch {
      return "RSA-PSS";
    }
  }
  if (alg.oid === OID.ed25519) return "Ed25519";
  if (alg.oid === OID.ed448) return "Ed448";
  const s = SIG_ALGS[alg.oid];
  if (!s) return alg.oid;
  return `${s.hash.toUpperCase()}-${s.family === "rsa" ? "RSA" : s.family === "ecdsa" ? "ECDSA" : "DSA"}`;
}

/** The digest a signature algorithm uses, or undefined for the pure EdDSA schemes. */
export function signatureHash(alg: AlgorithmIdentifier): HashName | undefined {
  if (alg.oid === OID.rsaPss) return parsePssParams(alg.params).hash;
  if (alg.oid === OID.ed25519 || alg.oid === OID.ed448) return undefined;
  const s = SIG_ALGS[alg.oid];
  if (!s) throw new UnsupportedError(`unsupported signature algorithm ${alg.oid}`);
  return s.hash;
}

export function isKnownSignatureAlgorithm(oid: string): boolean {
  return oid in SIG_ALGS || oid === OID.rsaPss || oid === OID.ed25519 || oid === OID.ed448;
}

const KEY_FAMILY: Record<string, string> = {
  [OID.rsaEncryption]: "rsa",
  [OID.rsaPss]: "rsa",
  [OID.ecPublicKey]: "ecdsa",
  [OID.dsa]: "dsa",
};

/**
 * Verifies `signature` over `data` with `key` under signature algorithm `alg`.
 * `keyAlgorithm` (the SPKI algorithm OID) is checked against the signature family, so an ECDSA
 * signature can never be checked with an RSA key. Returns false for a wrong signature; throws
 * UnsupportedError for an algorithm we cannot evaluate.
 */
export function verifySignature(
  alg: AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
  keyAlgorithm: string,
): boolean {
  try {
    if (alg.oid === OID.ed25519 || alg.oid === OID.ed448) {
      if (keyAlgorithm !== alg.oid) return false;
      return verify(null, data, key, signature);
    }
    if (alg.oid === OID.rsaPss) {
      if (KEY_FAMILY[keyAlgorithm] !== "rsa") return false;
      const p = parsePssParams(alg.params);
      return verify(
        p.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength },
        signature,
      );
    }
    const s = SIG_ALGS[alg.oid];
    if (!s) throw new UnsupportedError(`unsupported signature algorithm ${alg.oid}`);
    if (KEY_FAMILY[keyAlgorithm] !== s.family) return false;
    if (s.family === "rsa")
      return verify(s.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return verify(s.hash, data, { key, dsaEncoding: "der" }, signature);
  } catch (e) {
    if (e instanceof UnsupportedError) throw e;
    if (e instanceof DerError) return false;
    // OpenSSL errors on malformed signatures (bad DER, wrong length) mean "does not verify".
    return false;
  }
}

/** Imports an SPKI as a node KeyObject; throws UnsupportedError when OpenSSL cannot load it. */
export function importSpki(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({
      key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
      format: "der",
      type: "spki",
    });
  } catch (e) {
    throw new UnsupportedError(`cannot load public key: ${(e as Error).message}`);
  }
}

/** True when DSA domain parameters are absent or NULL: inherited from the issuer (RFC 3279 2.3.2). */
export function dsaParamsInherited(params: Uint8Array | undefined): boolean {
  return !params || (params.length === 2 && params[0] === TAG.NULL);
}

/** A DSA public key (the subjectPublicKey bits) with domain parameters (DER Dss-Parms) from elsewhere. */
export function importDsaKey(params: Uint8Array, publicKey: Uint8Array): KeyObject {
  return importSpki(
    tlv(
      TAG.SEQUENCE,
      tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.dsa)), params),
      tlv(TAG.BIT_STRING, Uint8Array.of(0), publicKey),
    ),
  );
}
