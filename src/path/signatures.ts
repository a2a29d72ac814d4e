/**
 * Certificate signature checks for the path engine: results memoised per (child, issuer) in the validation
 * session, so bulk validation with a shared session never verifies the same signature twice, and DSA keys
 * whose domain parameters are inherited from the issuer (RFC 5280 6.1.4 (k)-(l); PKITS 4.1.5).
 */
import type { KeyObject } from "node:crypto";
import { UnsupportedError } from "../errors.js";
import { encodeOid, TAG, tlv } from "../lib/der.js";
import { OID } from "../lib/oids.js";
import { importSpki, verifySignature } from "../lib/signature.js";
import type { Certificate } from "../x509/certificate.js";
import type { ValidationSession } from "./session.js";

/** Result of a signature check: true/false, or "unsupported" when the algorithm cannot be evaluated. */
export type SigResult = boolean | "unsupported";

/** The DSA domain parameters in effect for `cert`'s key: its own, else those inherited along `chain` (issuers, nearest first). */
export function dsaParamsFor(cert: Certificate, issuers: readonly Certificate[]): Uint8Array | undefined {
  const k = cert.publicKeyInfo;
  if (k.algorithm !== OID.dsa) return undefined;
  if (k.params && !(k.params.length === 2 && k.params[0] === TAG.NULL)) return k.params;
  for (const i of issuers) {
    const ik = i.publicKeyInfo;
    if (ik.algorithm !== OID.dsa) return undefined;
    if (ik.params && !(ik.params.length === 2 && ik.params[0] === TAG.NULL)) return ik.params;
  }
  return undefined;
}

/** True when `cert` has a DSA key without parameters (they must come from the issuer). */
export function needsInheritedParams(cert: Certificate): boolean {
  const k = cert.publicKeyInfo;
  return k.algorithm === OID.dsa && (!k.params || (k.params.length === 2 && k.params[0] === TAG.NULL));
}

/** The issuer's key as a KeyObject, with inherited DSA parameters when its SPKI has none. */
export function keyOf(session: ValidationSession, issuer: Certificate, params?: Uint8Array): KeyObject {
  if (!params || !needsInheritedParams(issuer)) return issuer.publicKey;
  const hex = Buffer.from(params).toString("latin1");
  let m = session.inheritedKeys.get(issuer);
  if (!m) {
    m = new Map();
    session.inheritedKeys.set(issuer, m);
  }
  const hit = m.get(hex);
  if (hit) return hit;
  const spki = tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, tlv(TAG.OID, encodeOid(OID.dsa)), params),
    tlv(TAG.BIT_STRING, Uint8Array.of(0), issuer.publicKeyInfo.key),
  );
  const key = importSpki(spki);
  m.set(hex, key);
  return key;
}

/**
 * Verifies `child`'s signature with `issuer`'s key. `issuerParams` are DSA parameters the issuer inherits
 * (when its own SPKI has none). Memoised per (child SHA-1, issuer SHA-1) in `session`.
 */
export function checkSignature(
  session: ValidationSession,
  child: Certificate,
  issuer: Certificate,
  issuerParams?: Uint8Array,
): SigResult {
  const inherit = issuerParams !== undefined && needsInheritedParams(issuer);
  const key = child.sha1 + issuer.sha1 + (inherit ? "+" : "");
  const hit = session.signatures.get(key);
  if (hit !== undefined) return hit;
  let r: SigResult;
  try {
    r = verifySignature(
      child.signatureAlgorithm,
      child.tbs,
      child.signature,
      keyOf(session, issuer, inherit ? issuerParams : undefined),
      issuer.publicKeyInfo.algorithm,
    );
  } catch (e) {
    if (e instanceof UnsupportedError) return "unsupported";
    r = false;
  }
  session.rememberSignature(key, r);
  return r;
}
