/**
 * RFC 5280 6.1.3 (a)(1): the signature of the certificate by the next one up. The builder checks it while
 * building; here remain the checks it deferred (an issuer whose DSA key inherits its parameters from
 * further up, PKITS 4.1.5), the strength of the signature algorithm and key, and that the algorithm inside
 * TBSCertificate equals the outer one (4.1.1.2). The anchor's own signature is not checked.
 */

import { signatureHash } from "../../lib/signature.js";
import type { ProblemCode, ProblemParams } from "../../problems.js";
import type { Certificate } from "../../x509/certificate.js";
import { checkSignature, dsaParamsFor } from "../signatures.js";
import { type Check, collector } from "./types.js";

export const signature: Check = (c, pos, state) => {
  const { problems, add } = collector(c);
  if (pos.k > 0 || !state.hasAnchor) {
    if (pos.k > 0) {
      const issuer = state.at(pos.k - 1);
      const node = state.nodes[state.nodes.length - 1 - pos.k];
      if (node.deferred) {
        const chainUp: Certificate[] = [];
        for (let j = pos.k - 1; j >= 0; j--) chainUp.push(state.at(j));
        const inherited = dsaParamsFor(issuer, chainUp.slice(1));
        const ok = checkSignature(state.session, c, issuer, inherited);
        if (ok === "unsupported")
          add("UNSUPPORTED_ALGORITHM", { alg: c.signatureAlgorithmName, detail: `signature on '${c.name}'` });
        else if (!ok) add("CHAIN_SIGNATURE_INVALID", { issuer: issuer.name });
      }
    }
    weakSignature(c, add);
  }
  if (!sameAlgorithm(c))
    add("CHAIN_SIGNATURE_INVALID", {
      detail: "the signature algorithm inside the certificate differs from the outer one",
    });
  weakKey(c, add, state.profile.exchange);
  return problems;
};

function sameAlgorithm(c: Certificate): boolean {
  const a = c.signatureAlgorithm;
  const b = c.tbsSignatureAlgorithm;
  if (a.oid !== b.oid) return false;
  const pa = a.params;
  const pb = b.params;
  if (!pa || !pb) return !pa === !pb;
  if (pa.length !== pb.length) return false;
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return false;
  return true;
}

type Add = (code: ProblemCode, extra?: ProblemParams) => void;

function weakSignature(c: Certificate, add: Add): void {
  let h: string | undefined;
  try {
    h = signatureHash(c.signatureAlgorithm);
  } catch {
    // signatureHash throws UnsupportedError for an algorithm it does not know.
    add("UNSUPPORTED_ALGORITHM", { alg: c.signatureAlgorithmName, detail: `signature on '${c.name}'` });
    return;
  }
  if (h === "md5") add("WEAK_ALGORITHM", { alg: c.signatureAlgorithmName, severity: "error" });
  else if (h === "sha1") add("WEAK_ALGORITHM", { alg: c.signatureAlgorithmName });
}

/**
 * Keys below today's strength are warnings; under the Exchange profile an RSA (or DSA) key under 1024 bits
 * is an error, since Windows CryptoAPI has refused such keys everywhere since 2012 (KB2661254).
 */
function weakKey(c: Certificate, add: Add, exchange: boolean): void {
  let k: Certificate["publicKeyInfo"];
  try {
    k = c.publicKeyInfo;
  } catch {
    // The SubjectPublicKeyInfo does not decode (MalformedInputError).
    add("NONCONFORMING_CERT", { detail: "unreadable public key" });
    return;
  }
  if ((k.type === "RSA" || k.type === "RSA-PSS" || k.type === "DSA") && k.bits !== undefined && k.bits < 2048)
    add("WEAK_KEY", {
      alg: c.keyDescription,
      ...(exchange && k.bits < 1024
        ? { severity: "error" as const, detail: "Windows refuses keys under 1024 bits" }
        : {}),
    });
  // Elliptic curves under 224 bits (P-192 and its kin) are below the 112-bit security of RSA-2048.
  else if (k.type === "EC" && k.bits !== undefined && k.bits < 224)
    add("WEAK_KEY", { alg: c.keyDescription });
}
