/**
 * The link to the revocation module (src/revocation/check.ts), per the agreed interface. Loaded lazily so
 * the path engine works (without revocation) before that module exists.
 */
import type { Certificate } from "../certs/certificate.js";
import type { Fetcher } from "../net/fetcher.js";
import type { Problem } from "../problems.js";
import type { Crl } from "../revocation/crl.js";

export interface RevocationContext {
  time: number;
  crls: Crl[];
  online: boolean;
  fetcher?: Fetcher;
  /** Certificates that may have signed a CRL (trust list + untrusted pool) with this subject name key. */
  candidateSigners(nameKey: string): Certificate[];
  /** Validates a CRL/OCSP signer certificate's own path to the same anchors (recursion guarded). */
  validateSigner(cert: Certificate, time: number): Promise<boolean>;
}

export interface RevocationResult {
  status: "good" | "revoked" | "unknown";
  problems: Problem[];
}

export type CheckRevocation = (
  cert: Certificate,
  issuer: Certificate,
  path: Certificate[],
  index: number,
  ctx: RevocationContext,
) => Promise<RevocationResult>;

let loaded: Promise<CheckRevocation | undefined> | undefined;

export function getRevocationChecker(): Promise<CheckRevocation | undefined> {
  if (!loaded) {
    const spec = "../revocation/check.js";
    loaded = import(/* @vite-ignore */ spec).then(
      (m: { checkRevocation?: CheckRevocation }) => m.checkRevocation,
      () => undefined,
    );
  }
  return loaded;
}
