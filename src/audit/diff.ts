/**
 * Compares two versions of a trust list: what an upload would add, remove and replace. Pure: takes
 * certificates, returns sets. The breakage analysis (which --leaf certificates stop validating) lives in
 * `diffBreakage`, which needs the path engine; `diffTrustLists` itself needs nothing but the certificates.
 */

import type { ChainValidator } from "../path/types.js";
import type { Problem } from "../problems.js";
import type { Certificate } from "../x509/certificate.js";
import { validateLeaves } from "./leaves.js";

export interface ReplacedPair {
  old: Certificate;
  new: Certificate;
}

export interface TrustListDiff {
  /** In the new list only (and not the replacement of an old certificate). */
  added: Certificate[];
  /** In the old list only (and not replaced by a new certificate with the same subject). */
  removed: Certificate[];
  /** Same subject, different certificate (new key, new dates or both). */
  replaced: ReplacedPair[];
  /** In both lists (same SHA-1). */
  unchanged: Certificate[];
}

function unique(certs: readonly Certificate[]): Certificate[] {
  const seen = new Set<string>();
  const out: Certificate[] = [];
  for (const c of certs) {
    if (seen.has(c.sha1)) continue;
    seen.add(c.sha1);
    out.push(c);
  }
  return out;
}

/**
 * Added, removed, replaced and unchanged certificates between `oldList` and `newList` (duplicates
 * ignored). A certificate that left and one that arrived with the same subject name are paired as a
 * replacement: when several share a subject, they are paired in order of notBefore (oldest with oldest).
 */
export function diffTrustLists(
  oldList: readonly Certificate[],
  newList: readonly Certificate[],
): TrustListDiff {
  const olds = unique(oldList);
  const news = unique(newList);
  const oldSet = new Set(olds.map((c) => c.sha1));
  const newSet = new Set(news.map((c) => c.sha1));
  const unchanged = news.filter((c) => oldSet.has(c.sha1));
  const gone = olds.filter((c) => !newSet.has(c.sha1));
  const arrived = news.filter((c) => !oldSet.has(c.sha1));

  const bySubject = new Map<string, Certificate[]>();
  for (const c of arrived) {
    const a = bySubject.get(c.subject.key);
    if (a) a.push(c);
    else bySubject.set(c.subject.key, [c]);
  }
  for (const a of bySubject.values()) a.sort(byNotBefore);

  const replaced: ReplacedPair[] = [];
  const paired = new Set<string>();
  const removed: Certificate[] = [];
  for (const c of [...gone].sort(byNotBefore)) {
    const candidates = bySubject.get(c.subject.key);
    const next = candidates?.shift();
    if (next) {
      replaced.push({ old: c, new: next });
      paired.add(next.sha1);
    } else removed.push(c);
  }
  // Keep the callers' order for the plain sets.
  const removedSet = new Set(removed.map((c) => c.sha1));
  return {
    added: arrived.filter((c) => !paired.has(c.sha1)),
    removed: gone.filter((c) => removedSet.has(c.sha1)),
    replaced: replaced.sort((a, b) => gone.indexOf(a.old) - gone.indexOf(b.old)),
    unchanged,
  };
}

function byNotBefore(a: Certificate, b: Certificate): number {
  return a.notBefore - b.notBefore || a.notAfter - b.notAfter;
}

/** What changed in a replacement, in words ("new key", "new dates"). */
export function replacementKind(p: ReplacedPair): string[] {
  const out: string[] = [];
  if (!sameBytes(p.old.spki, p.new.spki)) out.push("new key");
  if (p.old.notBefore !== p.new.notBefore || p.old.notAfter !== p.new.notAfter) out.push("new dates");
  if (out.length === 0) out.push("reissued");
  return out;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- what the new list breaks ----

export interface LeafBreakage {
  leaf: Certificate;
  before: "valid" | "invalid";
  after: "valid" | "invalid";
  /** Valid with the old list, invalid with the new one. */
  broken: boolean;
  /** Invalid before, valid after. */
  fixed: boolean;
  /** Certificates of the old path that the new list no longer holds (removed or replaced). */
  lostFromPath: Certificate[];
  /** The chain problems with the new list. */
  problems: Problem[];
}

/**
 * Validates each leaf against the old and the new list: valid before and invalid after is a breakage
 * (typically a removed CA that still anchors a user certificate). `validate` is the path engine.
 */
export async function diffBreakage(
  leaves: readonly Certificate[],
  oldList: readonly Certificate[],
  newList: readonly Certificate[],
  opts: { now: number; validate: ChainValidator },
): Promise<LeafBreakage[]> {
  const before = await validateLeaves(leaves, oldList, opts);
  const after = await validateLeaves(leaves, newList, opts);
  const newSet = new Set(newList.map((c) => c.sha1));
  return before.map((b, i) => {
    const a = after[i];
    const lostFromPath = b.result.path
      .slice(1)
      .map((e) => e.cert)
      .filter((c) => !newSet.has(c.sha1));
    return {
      leaf: b.leaf,
      before: b.result.verdict,
      after: a.result.verdict,
      broken: b.result.verdict === "valid" && a.result.verdict !== "valid",
      fixed: b.result.verdict !== "valid" && a.result.verdict === "valid",
      lostFromPath,
      problems: a.problems,
    };
  });
}

// ---- the `diff --json` document (DESIGN.md contract), shared by the CLI and serve ----

const certSummary = (c: Certificate) => ({
  subject: c.subject.toString(),
  sha1: c.sha1,
  notAfter: new Date(c.notAfter).toISOString(),
  role: c.role,
});

export function diffJson(d: TrustListDiff, breakage: readonly LeafBreakage[]) {
  return {
    added: d.added.map(certSummary),
    removed: d.removed.map(certSummary),
    replaced: d.replaced.map((p) => ({
      old: certSummary(p.old),
      new: certSummary(p.new),
      changes: replacementKind(p),
    })),
    unchanged: d.unchanged.map(certSummary),
    leaves: breakage.map((b) => ({
      subject: b.leaf.subject.toString(),
      sha1: b.leaf.sha1,
      before: b.before,
      after: b.after,
      broken: b.broken,
      lostFromPath: b.lostFromPath.map((c) => c.sha1),
      problems: b.problems,
    })),
    breaks: breakage.some((b) => b.broken),
  };
}
