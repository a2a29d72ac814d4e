/**
 * The work one top-level validation may do, as in rustls-webpki's `Budget` and Go crypto/x509's
 * `maxChainSignatureChecks`: candidate signature checks, path-builder calls and name-constraint comparisons.
 * One Budget is made per `validateChain` call and passed down through every path built for it, the CRL and
 * OCSP signer validations included, so a pathological set of certificates or CRLs cannot multiply the work
 * by starting fresh builders. Once any count runs out, the whole validation stops searching.
 */

export interface BudgetLimits {
  /** Candidate issuer checks (each a signature verification or a deferred one); `budget` option, default 200. */
  signatures: number;
  /** Calls of the path builder's extend step (depth-first search nodes). */
  buildCalls: number;
  /** Names times constraints compared, summed over every name-constraint check. */
  nameComparisons: number;
}

export type BudgetKind = keyof BudgetLimits;

export const DEFAULT_LIMITS: Readonly<BudgetLimits> = Object.freeze({
  signatures: 200,
  buildCalls: 200_000,
  nameComparisons: 250_000,
});

export class Budget {
  readonly limits: Readonly<BudgetLimits>;
  /** What was spent so far, per kind. */
  readonly spent: BudgetLimits = { signatures: 0, buildCalls: 0, nameComparisons: 0 };
  /** The first kind that ran out, once one has. */
  exhaustedBy?: BudgetKind;

  constructor(limits: Partial<BudgetLimits> = {}) {
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...limits });
  }

  get exhausted(): boolean {
    return this.exhaustedBy !== undefined;
  }

  /**
   * Spends `n` of `kind`; false when that is more than is left of it, and the budget is exhausted from then
   * on (searches stop: callers test `exhausted`).
   */
  spend(kind: BudgetKind, n = 1): boolean {
    if (this.spent[kind] + n > this.limits[kind]) {
      this.exhaustedBy ??= kind;
      return false;
    }
    this.spent[kind] += n;
    return true;
  }

  /** Why the search stopped, for CHAIN_INCOMPLETE's detail. */
  describe(): string {
    switch (this.exhaustedBy) {
      case "signatures":
        return `path building gave up after ${this.limits.signatures} candidate checks`;
      case "buildCalls":
        return `path building gave up after ${this.limits.buildCalls} steps`;
      case "nameComparisons":
        return `path building gave up after ${this.limits.nameComparisons} name-constraint comparisons`;
      default:
        return "";
    }
  }
}
