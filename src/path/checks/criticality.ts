/**
 * RFC 5280 6.1.3 / 4.2: a critical extension the engine does not process fails the certificate
 * (UNKNOWN_CRITICAL_EXTENSION); an extension it knows but that does not decode (listed once by the
 * certificate, see Certificate.extensionFaults) makes it nonconforming.
 */
import { OID } from "../../lib/oids.js";
import { type Check, collector } from "./types.js";

/** Extensions the engine processes; any other critical extension fails the certificate. */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.crlDistributionPoints,
  OID.freshestCrl,
  OID.authorityInfoAccess,
]);

export const unknownCriticalExtensions: Check = (c) => {
  const { problems, add } = collector(c);
  for (const e of c.extensions)
    if (e.critical && !KNOWN_EXTENSIONS.has(e.oid)) add("UNKNOWN_CRITICAL_EXTENSION", { detail: e.oid });
  return problems;
};

/**
 * Extensions that only say where to fetch an issuer or revocation information: the path rules do not read
 * them, so a malformed one counts as absent (revocation then says what it could not find) and its fault is a
 * warning.
 */
const LOCATORS: ReadonlySet<string> = new Set<string>([
  OID.crlDistributionPoints,
  OID.freshestCrl,
  OID.authorityInfoAccess,
]);

/**
 * One NONCONFORMING_CERT per extension the path rules read that did not decode; the engine checks nothing
 * further on such a certificate.
 */
export const extensionFaults: Check = (c) => {
  const { problems, add } = collector(c);
  for (const f of c.extensionFaults)
    if (!LOCATORS.has(f.oid)) add("NONCONFORMING_CERT", { detail: f.message });
  return problems;
};

/** One NONCONFORMING_CERT warning per locator extension (CRL distribution points, AIA) that did not decode. */
export const locatorFaults: Check = (c) => {
  const { problems, add } = collector(c);
  for (const f of c.extensionFaults)
    if (LOCATORS.has(f.oid)) add("NONCONFORMING_CERT", { detail: f.message, severity: "warning" });
  return problems;
};
