/**
 * A cache of path-validation results, so bulk verification never validates the same chain twice.
 *
 * Key: leaf SHA-256, the trust list's content id, the untrusted set, the CRL set and every option that
 * changes the answer. An entry answers for any validation time inside its window: the interval around the
 * time it was computed in which no notBefore/notAfter of the certificates involved and no
 * thisUpdate/nextUpdate of the CRLs involved is crossed, so the result cannot differ.
 */
import { ValidationSession } from "./session.js";
import type { ChainResult } from "./types.js";

export interface CacheEntry {
  result: ChainResult;
  /** Inclusive window of validation times (ms) this result holds for. */
  from: number;
  until: number;
}

/**
 * A validation session (session.ts) that also keeps whole results; bulk callers pass one as `cache` to
 * every validation of a run. Results are not reused for online validations (the network may say more);
 * the session's memos are.
 */
export class ChainCache extends ValidationSession {
  private readonly map = new Map<string, CacheEntry>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 50_000) {
    super();
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string, time: number): ChainResult | undefined {
    const e = this.map.get(key);
    if (e && time >= e.from && time <= e.until) {
      this.hits++;
      return e.result;
    }
    this.misses++;
    return undefined;
  }

  set(key: string, entry: CacheEntry): void {
    if (this.map.size >= this.maxEntries) {
      // Drop the oldest entry (Map keeps insertion order).
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(key, entry);
  }

  clear(): void {
    this.map.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/**
 * The window around `time` bounded by the given instants: the latest boundary <= time and the earliest
 * boundary > time. Validity ends are inclusive, so a notAfter contributes notAfter + 1.
 */
export function windowAround(
  time: number,
  starts: number[],
  ends: number[],
): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  for (const s of starts) {
    if (s <= time) {
      if (s > from) from = s;
    } else if (s - 1 < until) until = s - 1;
  }
  for (const e of ends) {
    const b = e + 1;
    if (b <= time) {
      if (b > from) from = b;
    } else if (b - 1 < until) until = b - 1;
  }
  return { from, until };
}
