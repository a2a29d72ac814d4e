/**
 * The options of one validation, resolved once into a frozen profile: defaults applied, implications drawn
 * (profile "exchange" requires revocation), nothing read from `ValidationOptions` after this. The profile
 * also produces its part of the result-cache key from all of its fields, so an option that changes the
 * answer cannot be left out of the key: adding a field here adds it to the key.
 */
import type { BudgetLimits } from "./budget.js";
import { DEFAULT_LIMITS } from "./budget.js";
import type { CertSource, PolicyInputs, Profile, ValidationOptions } from "./types.js";

export const DEFAULT_MAX_DEPTH = 10;
export const DEFAULT_RETRIEVAL_TIMEOUT_MS = 10_000;

export interface ValidationProfile {
  /** "standard" (RFC 5280 + S/MIME) or "exchange" (what Exchange Online does). */
  readonly name: Profile;
  /** The Exchange Online leaf rule: the Secure Email EKU must be present. */
  readonly exchange: boolean;
  /** S/MIME leaf purpose checks (key usage, EKU). */
  readonly smime: boolean;
  /** Check revocation at all. */
  readonly checkRevocation: boolean;
  /** REVOCATION_UNKNOWN is an error. */
  readonly requireRevocation: boolean;
  /** Any certificate of the trust list ends a path, not only self-signed ones. */
  readonly anchorAny: boolean;
  /** Longest path (certificates including the anchor; self-issued intermediates do not count). */
  readonly maxDepth: number;
  /** The work one validation may do (see budget.ts). */
  readonly limits: Readonly<BudgetLimits>;
  /** The RFC 5280 profile's MUSTs on CAs, and with pedantic an AKI on anchors that are not self-issued. */
  readonly strict: boolean;
  readonly pedantic: boolean;
  /** The leaf's `source` when it is not in the trust list or the untrusted set. */
  readonly leafSource?: CertSource;
  /** RFC 5280 6.1.1 (c), (e)-(g) inputs. */
  readonly policy: Readonly<Required<Omit<PolicyInputs, "initialPolicySet">>> & {
    readonly initialPolicySet?: readonly string[];
  };
  /** Fetch AIA issuers, CRLs and OCSP responses. */
  readonly online: boolean;
  /** Total time for every retrieval of one validation. */
  readonly retrievalTimeoutMs: number;
  /** Every field above, as text: the profile's part of the result-cache key. */
  readonly key: string;
}

type Fields = Omit<ValidationProfile, "key">;

function freeze(f: Fields): ValidationProfile {
  const policy = Object.freeze({
    ...f.policy,
    ...(f.policy.initialPolicySet ? { initialPolicySet: Object.freeze([...f.policy.initialPolicySet]) } : {}),
  });
  const fields: Fields = { ...f, policy, limits: Object.freeze({ ...f.limits }) };
  // Sorted keys at every level, so the text depends on the values only.
  const key = JSON.stringify(fields, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v === undefined
        ? null
        : v,
  );
  return Object.freeze({ ...fields, key });
}

/** Resolves the options once (defaults, implications) into a frozen profile. */
export function resolveProfile(opts: ValidationOptions): ValidationProfile {
  const name: Profile = opts.profile ?? "standard";
  const strict = opts.strict === true;
  return freeze({
    name,
    exchange: name === "exchange",
    smime: (opts.leafPurpose ?? "smime") === "smime",
    checkRevocation: opts.checkRevocation !== false,
    requireRevocation: opts.requireRevocation === true || name === "exchange",
    anchorAny: opts.anchorAny === true,
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    limits: { ...DEFAULT_LIMITS, signatures: opts.budget ?? DEFAULT_LIMITS.signatures },
    strict,
    pedantic: strict && opts.pedantic === true,
    ...(opts.leafSource !== undefined ? { leafSource: opts.leafSource } : {}),
    policy: {
      ...(opts.initialPolicySet ? { initialPolicySet: opts.initialPolicySet } : {}),
      initialExplicitPolicy: opts.initialExplicitPolicy === true,
      initialPolicyMappingInhibit: opts.initialPolicyMappingInhibit === true,
      initialInhibitAnyPolicy: opts.initialInhibitAnyPolicy === true,
    },
    online: opts.online === true,
    retrievalTimeoutMs: opts.retrievalTimeoutMs ?? DEFAULT_RETRIEVAL_TIMEOUT_MS,
  });
}

/**
 * The profile a CRL or OCSP signer's own path is validated under (RFC 5280 6.3.3 (f)): the same path rules
 * and revocation requirement, no leaf purpose, default policy inputs.
 */
export function signerProfile(p: ValidationProfile): ValidationProfile {
  const { key: _key, ...fields } = p;
  return freeze({
    ...fields,
    exchange: false,
    smime: false,
    policy: {
      initialExplicitPolicy: false,
      initialPolicyMappingInhibit: false,
      initialInhibitAnyPolicy: false,
    },
  });
}
