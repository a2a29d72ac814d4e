/**
 * The --leaf part of the audit: does each user certificate chain to the trust list, and if not, what is
 * missing. The path engine is passed in (`validate`), so the rules stay pure and testable.
 */

import { ChainCache } from "../path/cache.js";
import type { ChainResult, ChainValidator } from "../path/types.js";
import type { Problem } from "../problems.js";
import { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";

export interface LeafAuditOptions {
  now: number;
  validate: ChainValidator;
  /** Check revocation too (default false: the audit is about the list, not the CRLs). */
  checkRevocation?: boolean;
}

export interface LeafResult {
  leaf: Certificate;
  result: ChainResult;
  /** The chain's problems, each naming the leaf (`cert`) and prefixed with its name. */
  problems: Problem[];
}

/** Rewrites a chain problem so it names the user certificate it was found for. */
export function aboutLeaf(leaf: Certificate, pr: Problem): Problem {
  const prefix = `User certificate '${leaf.name}' (thumbprint ${leaf.sha1}): `;
  return {
    ...pr,
    message: pr.message.startsWith(prefix) ? pr.message : prefix + pr.message,
    cert: leaf.sha1,
  };
}

function problemKey(pr: Problem): string {
  return `${pr.code}\u0000${pr.message}`;
}

/** The chain problems of every leaf against `trust` (as Exchange would see it: no extra intermediates). */
export async function validateLeaves(
  leaves: readonly Certificate[],
  trust: TrustList | readonly Certificate[],
  opts: LeafAuditOptions,
): Promise<LeafResult[]> {
  const list = trust instanceof TrustList ? trust : new TrustList(trust);
  const out: LeafResult[] = [];
  const seen = new Set<string>();
  // One session for the whole audit: each CA signature on the way up is verified once, not once per leaf.
  const cache = new ChainCache();
  for (const leaf of leaves) {
    if (seen.has(leaf.sha1)) continue;
    seen.add(leaf.sha1);
    const result = await opts.validate(leaf, list, {
      time: opts.now,
      profile: "standard",
      checkRevocation: opts.checkRevocation ?? false,
      leafPurpose: "smime",
      cache,
    });
    const uniq = new Map<string, Problem>();
    const all = [...result.problems, ...result.path.flatMap((e) => e.problems)];
    for (const pr of result.verdict === "valid" ? all.filter((x) => x.severity !== "error") : all) {
      const q = aboutLeaf(leaf, pr);
      if (!uniq.has(problemKey(q))) uniq.set(problemKey(q), q);
    }
    out.push({ leaf, result, problems: [...uniq.values()] });
  }
  return out;
}
