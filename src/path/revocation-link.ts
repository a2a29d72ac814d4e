/**
 * The link to the revocation module (src/revocation/check.ts) per the agreed interface: the path engine
 * calls `checkRevocation(cert, issuer, path, index, ctx)` for every certificate but the anchor and supplies
 * the context (CRLs, fetcher, candidate CRL signers and signer-path validation).
 */

import { checkRevocation, type RevocationContext, type RevocationResult } from "../revocation/check.js";
import type { Certificate } from "../x509/certificate.js";

export type { RevocationContext, RevocationResult };

export type CheckRevocation = (
  cert: Certificate,
  issuer: Certificate,
  path: Certificate[],
  index: number,
  ctx: RevocationContext,
) => Promise<RevocationResult>;

/** The revocation checker (a function so tests and tools could substitute another). */
export function getRevocationChecker(): CheckRevocation {
  return checkRevocation;
}
