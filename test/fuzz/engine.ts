/**
 * The fuzz engine shared by the suite and the script: seeded mutation of a reader's corpus (each case
 * reproducible alone from the seed and its index) and fast-check generated inputs (reproducible from the
 * seed and fast-check's path), each case timed against a limit.
 */
import fc from "fast-check";
import { SmimetrustError } from "../../src/errors.js";
import type { Reader } from "./readers.js";

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of one case: depends on the run's seed and the case's index only. */
function caseRng(seed: number, index: number): () => number {
  return rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

/** Bytes that matter to the formats read: DER tags and lengths, PEM and MIME punctuation. */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0d, 0x20, 0x2d, 0x30, 0x31, 0x3a, 0x3d, 0x7f, 0x80, 0x81,
  0x82, 0x83, 0x84, 0x88, 0xa0, 0xa3, 0xff,
];
const SNIPPETS = [
  "-----BEGIN CERTIFICATE-----\n",
  "-----END CERTIFICATE-----\n",
  "-----BEGIN X509 CRL-----\n",
  "\r\n\r\n",
  "--b\r\n",
  "Content-Type: multipart/signed; boundary=b\r\n",
  "Content-Transfer-Encoding: base64\r\n",
  "=\r\n",
].map((s) => Buffer.from(s));

/** One mutation of `src` (a copy; `src` is never changed). */
function mutateOnce(src: Uint8Array, r: () => number): Uint8Array {
  const n = src.length;
  const at = Math.floor(r() * Math.max(1, n));
  const byte = () => (r() < 0.6 ? INTERESTING[Math.floor(r() * INTERESTING.length)] : Math.floor(r() * 256));
  const splice = (remove: number, insert: Uint8Array) =>
    Buffer.concat([src.subarray(0, at), insert, src.subarray(Math.min(n, at + remove))]);
  switch (Math.floor(r() * 11)) {
    case 0: {
      const b = Uint8Array.from(src);
      if (n) b[at] ^= 1 << Math.floor(r() * 8);
      return b;
    }
    case 1: {
      const b = Uint8Array.from(src);
      if (n) b[at] = byte();
      return b;
    }
    case 2:
      return splice(0, Uint8Array.from({ length: 1 + Math.floor(r() * 4) }, byte));
    case 3:
      return splice(1 + Math.floor(r() * 4), new Uint8Array(0));
    case 4:
      return splice(0, src.slice(at, at + 1 + Math.floor(r() * 64)));
    case 5:
      return splice(1 + Math.floor(r() * 256), new Uint8Array(0));
    case 6:
      return src.subarray(0, at);
    case 7:
      return src.subarray(at);
    case 8: {
      // A DER length byte made long, indefinite or huge.
      const b = Uint8Array.from(src);
      if (n) b[at] = [0x80, 0x81, 0x82, 0x84, 0x88, 0xff, 0x7f, 0x00][Math.floor(r() * 8)];
      return b;
    }
    case 9:
      return splice(0, SNIPPETS[Math.floor(r() * SNIPPETS.length)]);
    default: {
      // A 32-bit value (an SST record length, an iteration count) set to an edge.
      const b = Uint8Array.from(src);
      const v = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, n, n + 1][Math.floor(r() * 7)];
      for (let k = 0; k < 4 && at + k < n; k++) b[at + k] = (v >>> (8 * (r() < 0.5 ? k : 3 - k))) & 0xff;
      return b;
    }
  }
}

/** The input of case `index` of a mutation run: 1 to 4 stacked mutations of one corpus entry. */
export function mutationCase(
  reader: Reader,
  seed: number,
  index: number,
): { source: string; bytes: Uint8Array } {
  const r = caseRng(seed, index);
  const total = reader.corpus.reduce((t, c) => t + (c.weight ?? 1), 0);
  let pick = r() * total;
  let src = reader.corpus[0];
  for (const c of reader.corpus) {
    src = c;
    pick -= c.weight ?? 1;
    if (pick < 0) break;
  }
  let b = src.bytes;
  const k = 1 + Math.floor(r() * r() * 4);
  for (let j = 0; j < k; j++) b = mutateOnce(b, r);
  return { source: src.name, bytes: b };
}

export interface FuzzFailure {
  /** How to replay it. */
  where: string;
  error: string;
}

export interface FuzzStats {
  reader: string;
  cases: number;
  ok: number;
  refused: number;
  /** The slowest case, in ms, and which. */
  slowest: { ms: number; where: string };
  failures: FuzzFailure[];
  seconds: number;
}

/** Runs one case: "ok", "refused" (a typed error), or a failure message. */
function runCase(reader: Reader, bytes: Uint8Array, index: number): "ok" | "refused" | string {
  try {
    reader.read(bytes, index);
    return "ok";
  } catch (e) {
    if (e instanceof SmimetrustError) {
      const line = e.describe();
      if (line.includes("\n") || line.includes("\r"))
        return `typed error on several lines: ${JSON.stringify(line)}`;
      return "refused";
    }
    const err = e as Error;
    return `${err?.name ?? typeof e}: ${err?.message ?? String(e)}${err?.stack ? ` @ ${err.stack.split("\n")[1]?.trim()}` : ""}`;
  }
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Per-case time limit in ms: a case over it is a failure. */
  limitMs: number;
  /** The share of cases generated by fast-check (the rest are corpus mutations). */
  fastCheckShare?: number;
  onProgress?: (done: number) => void;
  /** Stop collecting after this many failures. */
  maxFailures?: number;
}

export function fuzzReader(reader: Reader, o: FuzzOptions): FuzzStats {
  const st: FuzzStats = {
    reader: reader.name,
    cases: 0,
    ok: 0,
    refused: 0,
    slowest: { ms: 0, where: "" },
    failures: [],
    seconds: 0,
  };
  const maxFailures = o.maxFailures ?? 20;
  const t0 = performance.now();
  const one = (bytes: Uint8Array, index: number, where: string) => {
    const s = performance.now();
    const out = runCase(reader, bytes, index);
    let ms = performance.now() - s;
    // Over the limit: run it twice more and keep the fastest, so that a pause of the machine (another
    // process, a garbage collection) is not taken for a slow input; a slow input is slow every time.
    for (let again = 0; again < 2 && ms > o.limitMs; again++) {
      const s2 = performance.now();
      runCase(reader, bytes, index);
      ms = Math.min(ms, performance.now() - s2);
    }
    st.cases++;
    if (ms > st.slowest.ms) st.slowest = { ms, where };
    if (out === "ok") st.ok++;
    else if (out === "refused") st.refused++;
    else if (st.failures.length < maxFailures) st.failures.push({ where, error: out });
    if (ms > o.limitMs && st.failures.length < maxFailures)
      st.failures.push({
        where,
        error: `took ${ms.toFixed(0)} ms (the fastest of 3 runs), over the ${o.limitMs} ms limit per case`,
      });
    if (o.onProgress && st.cases % 10_000 === 0) o.onProgress(st.cases);
    return out === "ok" || out === "refused";
  };
  const fcCases = Math.round(o.cases * (o.fastCheckShare ?? 0.1));
  const mutCases = o.cases - fcCases;
  for (let i = 0; i < mutCases; i++) {
    const c = mutationCase(reader, o.seed, i);
    one(c.bytes, i, `--reader ${reader.name} --seed ${o.seed} --index ${i} (mutation of ${c.source})`);
  }
  if (fcCases > 0) {
    // Arbitrary bytes; and corpus entries with arbitrary spans replaced (fast-check shrinks a failure).
    // The large hostile entries (weight < 1) are left to the mutation cases, which pick them rarely.
    const usual = reader.corpus.flatMap((c, k) => ((c.weight ?? 1) >= 1 ? [k] : []));
    const corpusIdx = fc.constantFrom(...usual);
    const edited = fc
      .tuple(
        corpusIdx,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 16 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([k, edits]) => {
        let b: Uint8Array = reader.corpus[k].bytes;
        for (const [at, del, ins] of edits) {
          const p = b.length ? at % b.length : 0;
          b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p + del)]);
        }
        return b;
      });
    let n = 0;
    const res = fc.check(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), edited), (bytes) => {
        const ok = one(
          bytes,
          mutCases + n,
          `--reader ${reader.name} --seed ${o.seed} (fast-check case ${n})`,
        );
        n++;
        return ok;
      }),
      { numRuns: fcCases, seed: o.seed, endOnFailure: true },
    );
    if (res.failed && res.counterexample)
      st.failures.push({
        where: `--reader ${reader.name} --seed ${o.seed} (fast-check path ${res.counterexamplePath})`,
        error: `fast-check counterexample (shrunk): ${Buffer.from(res.counterexample[0] as Uint8Array)
          .toString("hex")
          .slice(0, 400)}`,
      });
  }
  st.seconds = (performance.now() - t0) / 1000;
  return st;
}

/** Replays case `index` of a mutation run (the script's --index). */
export function replay(reader: Reader, seed: number, index: number): { source: string; outcome: string } {
  const c = mutationCase(reader, seed, index);
  return { source: c.source, outcome: runCase(reader, c.bytes, index) };
}
