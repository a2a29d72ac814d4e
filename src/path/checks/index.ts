/**
 * The RFC 5280 section 6.1 steps in the order the engine runs them on each certificate, anchor first.
 * `extensionFaults` comes between the two lists: a certificate whose extensions do not decode gets its
 * NONCONFORMING_CERT problems and no further checks.
 */
import { caRole } from "./basic-constraints.js";
import { extensionFaults, locatorFaults, unknownCriticalExtensions } from "./criticality.js";
import { issuerKeyUsage, leafKeyUsage } from "./key-usage.js";
import { nameConstraints } from "./name-constraints.js";
import { pathLength } from "./path-length.js";
import { policy } from "./policy.js";
import { caPurpose, leafPurpose } from "./purpose.js";
import { signature } from "./signature.js";
import { strictProfile } from "./strict-profile.js";
import type { Check } from "./types.js";
import { validity } from "./validity.js";

export type { Check, PathState, Position } from "./types.js";
export { extensionFaults };

/** Steps that read only the certificate's framing (validity, signature, which extensions it has, locators). */
export const BEFORE_EXTENSIONS: readonly Check[] = [
  validity,
  signature,
  unknownCriticalExtensions,
  locatorFaults,
];

/** Steps that read the decoded extensions. */
export const AFTER_EXTENSIONS: readonly Check[] = [
  strictProfile,
  caRole,
  issuerKeyUsage,
  pathLength,
  caPurpose,
  nameConstraints,
  policy,
  leafKeyUsage,
  leafPurpose,
];
