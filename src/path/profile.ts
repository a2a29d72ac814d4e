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

const DEFAULT_POLICY: ValidationProfile["policy"] = Object.freeze({
  initialExplicitPolicy: false,
  initialPolicyMappingInhibit: false,
  initialInhibitAnyPolicy: false,
});

/**
 * The profile's part of the result-cache key: every field, in one line. (Written out because it runs for
 * every validation of a bulk run, where a generic serialisation costs more than the cached validation;
 * test/path/profile.test.ts changes each field of a profile in turn and requires a new key.)
 */
export function profileKey(f: Fields): string {
  const flags =
    (f.exchange ? 1 : 0) |
    (f.smime ? 2 : 0) |
    (f.checkRevocation ? 4 : 0) |
    (f.requireRevocation ? 8 : 0) |
    (f.anchorAny ? 16 : 0) |
    (f.strict ? 32 : 0) |
    (f.pedantic ? 64 : 0) |
    (f.online ? 128 : 0);
  return `${f.name}|${flags}|${f.maxDepth}|${limitsKey(f.limits)}|${f.leafSource ?? ""}|${policyKey(f.policy)}|${f.retrievalTimeoutMs}`;
}

const DEFAULT_LIMITS_KEY = `${DEFAULT_LIMITS.signatures},${DEFAULT_LIMITS.buildCalls},${DEFAULT_LIMITS.nameComparisons}`;

function limitsKey(l: Readonly<BudgetLimits>): string {
  return l === DEFAULT_LIMITS ? DEFAULT_LIMITS_KEY : `${l.signatures},${l.buildCalls},${l.nameComparisons}`;
}

function policyKey(p: ValidationProfile["policy"]): string {
  if (p === DEFAULT_POLICY) return "*|0";
  const bits =
    (p.initialExplicitPolicy ? 1 : 0) |
    (p.initialPolicyMappingInhibit ? 2 : 0) |
    (p.initialInhibitAnyPolicy ? 4 : 0);
  return `${p.initialPolicySet ? p.initialPolicySet.join(",") : "*"}|${bits}`;
}

function make(f: Fields): ValidationProfile {
  (f as { key?: string }).key = profileKey(f);
  return Object.freeze(f as ValidationProfile);
}

/** Resolves the options once (defaults, implications) into a frozen profile. */
export function resolveProfile(opts: ValidationOptions): ValidationProfile {
  const name: Profile = opts.profile ?? "standard";
  const strict = opts.strict === true;
  const policy =
    opts.initialPolicySet ||
    opts.initialExplicitPolicy ||
    opts.initialPolicyMappingInhibit ||
    opts.initialInhibitAnyPolicy
      ? Object.freeze({
          ...(opts.initialPolicySet ? { initialPolicySet: Object.freeze([...opts.initialPolicySet]) } : {}),
          initialExplicitPolicy: opts.initialExplicitPolicy === true,
          initialPolicyMappingInhibit: opts.initialPolicyMappingInhibit === true,
          initialInhibitAnyPolicy: opts.initialInhibitAnyPolicy === true,
        })
      : DEFAULT_POLICY;
  const f: Fields = {
    name,
    exchange: name === "exchange",
    smime: (opts.leafPurpose ?? "smime") === "smime",
    checkRevocation: opts.checkRevocation !== false,
    requireRevocation: opts.requireRevocation === true || name === "exchange",
    anchorAny: opts.anchorAny === true,
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    limits:
      opts.budget === undefined
        ? DEFAULT_LIMITS
        : Object.freeze({ ...DEFAULT_LIMITS, signatures: opts.budget }),
    strict,
    pedantic: strict && opts.pedantic === true,
    policy,
    online: opts.online === true,
    retrievalTimeoutMs: opts.retrievalTimeoutMs ?? DEFAULT_RETRIEVAL_TIMEOUT_MS,
  };
  if (opts.leafSource !== undefined) (f as { leafSource?: CertSource }).leafSource = opts.leafSource;
  return make(f);
}

/**
 * The profile a CRL or OCSP signer's own path is validated under (RFC 5280 6.3.3 (f)): the same path rules
 * and revocation requirement, no leaf purpose, default policy inputs.
 */
export function signerProfile(p: ValidationProfile): ValidationProfile {
  const { key: _key, ...fields } = p;
  return make({ ...fields, exchange: false, smime: false, policy: DEFAULT_POLICY });
}
