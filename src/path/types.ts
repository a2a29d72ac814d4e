/**
 * The path-validation engine's public contract. verify (smime/), check/diff (audit/) and chain (cli/)
 * depend only on these types and on `validateChain` in path/validate.ts.
 */

import type { Fetcher } from "../lib/fetcher.js";
import type { Problem } from "../problems.js";
import type { Crl } from "../revocation/crl.js";
import type { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";
import type { ChainCache } from "./cache.js";

/** Where a certificate of a path came from (DESIGN.md contract). */
export type CertSource = "message" | "trust" | "extra" | "aia";

export type Profile = "standard" | "exchange";

export interface PolicyInputs {
  /** user-initial-policy-set (OIDs); default [anyPolicy]. */
  initialPolicySet?: string[];
  initialExplicitPolicy?: boolean;
  initialPolicyMappingInhibit?: boolean;
  initialInhibitAnyPolicy?: boolean;
}

export interface ValidationOptions extends PolicyInputs {
  /** Validation time, ms since the epoch. */
  time: number;
  /** "standard" (RFC 5280 + S/MIME) or "exchange" (what Exchange Online does). Default standard. */
  profile?: Profile;
  /** Let any certificate of the trust list end a path, not only self-signed ones (--anchor any). */
  anchorAny?: boolean;
  /** Untrusted intermediates: from --untrusted ("extra") or carried by a message ("message"). */
  untrusted?: { cert: Certificate; source: "message" | "extra" }[];
  /** CRLs (DER) from --crl files and from messages. */
  crls?: Uint8Array[];
  /** Fetch AIA caIssuers, CRL distribution points and OCSP over the network. */
  online?: boolean;
  /** How to fetch when online (HTTP with timeouts and a cache); required when online. */
  fetcher?: Fetcher;
  /**
   * Total time for every network retrieval of one validation (AIA issuers, CRLs, OCSP), like Exchange's
   * OWACRLRetrievalTimeout ("total time for all CRLs of a chain"); default 10000 ms. Each request also has
   * the fetcher's own per-URL limits (OWACRLConnectionTimeout, 60000 ms, to connect).
   */
  retrievalTimeoutMs?: number;
  /** REVOCATION_UNKNOWN becomes an error (implied by profile exchange). */
  requireRevocation?: boolean;
  /** Check revocation at all (default true). */
  checkRevocation?: boolean;
  /**
   * Leaf purpose checks: "smime" (default: key usage digitalSignature|nonRepudiation, EKU emailProtection)
   * or "none" (conformance suites that test path logic only).
   */
  leafPurpose?: "smime" | "none";
  /** Longest path accepted (certificates including the anchor; self-issued intermediates do not count); default 10. */
  maxDepth?: number;
  /**
   * Path-building budget: candidate signature checks before giving up, for the whole validation (the paths
   * built for CRL and OCSP signers spend from it too); default 200.
   */
  budget?: number;
  /** Where the leaf came from, for the path's `source` (default "message"; "trust" when it is in the list). */
  leafSource?: CertSource;
  /**
   * Also enforce the RFC 5280 profile's MUSTs on CAs that the validation algorithm does not need (serial numbers,
   * key identifiers, criticality of AKI/SKI/AIA/policyConstraints/nameConstraints/basicConstraints of the anchor,
   * empty names, SAN syntax), as strict clients (webpki, x509-limbo) do; default false, as Exchange.
   */
  strict?: boolean;
  /**
   * With `strict`: also require an authorityKeyIdentifier on a trust anchor that is not self-issued (a CA
   * certified by another and trusted directly), the pedantic reading of RFC 5280 4.2.1.1 that x509-limbo's
   * "pedantic-rfc5280" cases ask for. Default false: RFC 5280 6.1 treats an anchor as a name and a key.
   */
  pedantic?: boolean;
  /** CRLs already parsed (bulk callers parse once); used together with `crls`. */
  parsedCrls?: Crl[];
  /**
   * The validation session shared across calls: signature, CRL and trust-list memos (path/session.ts) and
   * whole results (path/cache.ts; not reused for online validations). Without one, each call makes its own,
   * so nothing is remembered between calls.
   */
  cache?: ChainCache;
}

export interface PathElement {
  cert: Certificate;
  source: CertSource;
  problems: Problem[];
}

export interface ChainResult {
  verdict: "valid" | "invalid";
  /** Problems about the path as a whole (and copies of every error-level certificate problem). */
  problems: Problem[];
  /** Leaf first, anchor (or the last certificate found) last. */
  path: PathElement[];
}

/** The engine's entry point as a value (validateChain), for modules that take it as an argument. */
export type ChainValidator = (
  leaf: Certificate,
  trust: TrustList,
  opts: ValidationOptions,
) => Promise<ChainResult>;
