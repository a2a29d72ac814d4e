import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedInputError } from "../../src/errors.js";
import { readSst, writeSst } from "../../src/formats/sst.js";
import { fixture, manifest } from "./fixtures.js";

/** A small seeded PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** readSst either returns a store that writes back to the same bytes, or throws MalformedInputError. */
function check(bytes: Uint8Array): "ok" | "refused" {
  try {
    const store = readSst(bytes, "fuzz.sst");
    expect(Buffer.from(writeSst(store)).equals(Buffer.from(bytes))).toBe(true);
    return "ok";
  } catch (e) {
    if (!(e instanceof MalformedInputError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(bytes.length);
    return "refused";
  }
}

describe("SST reader fuzzing", () => {
  const small = manifest.filter((m) => m.bytes < 120_000).map((m) => fixture(m.file));

  it("seeded random mutations of the fixtures: only MalformedInputError, never a hang", () => {
    const rand = rng(0x5eed);
    const outcomes = { ok: 0, refused: 0 };
    const started = Date.now();
    for (let i = 0; i < 1500; i++) {
      const src = small[i % small.length];
      const b = Uint8Array.from(src);
      const kind = Math.floor(rand() * 4);
      const n = 1 + Math.floor(rand() * 8);
      let bytes: Uint8Array = b;
      if (kind === 0) {
        for (let k = 0; k < n; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      } else if (kind === 1) {
        // Hit the record headers: pick a uint32-aligned spot in the first records and overwrite it.
        const dv = new DataView(b.buffer);
        const at = 8 + 4 * Math.floor(rand() * Math.min(64, (b.length - 12) / 4));
        dv.setUint32(
          at,
          [0, 1, 2, 3, 32, 33, 34, 0xffffffff, Math.floor(rand() * 2 ** 32)][Math.floor(rand() * 9)],
          true,
        );
      } else if (kind === 2) {
        bytes = b.subarray(0, Math.floor(rand() * b.length));
      } else {
        const extra = new Uint8Array(n).map(() => Math.floor(rand() * 256));
        const at = Math.floor(rand() * b.length);
        bytes = Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
      }
      outcomes[check(bytes)]++;
    }
    expect(outcomes.ok + outcomes.refused).toBe(1500);
    expect(outcomes.refused).toBeGreaterThan(500);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("arbitrary bytes (fast-check): only MalformedInputError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(check(bytes)).toBe("refused");
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it("arbitrary records after a valid header (fast-check): only MalformedInputError or an exact round trip", () => {
    const rec = fc.record({
      id: fc.oneof(fc.constantFrom(0, 2, 3, 11, 32, 33, 34), fc.nat()),
      enc: fc.oneof(fc.constant(1), fc.nat()),
      value: fc.uint8Array({ maxLength: 40 }),
      lie: fc.oneof(fc.constant(0), fc.integer({ min: -50, max: 50 })),
    });
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 12 }), fc.boolean(), (records, end) => {
        const parts: Uint8Array[] = [Uint8Array.of(0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54)];
        for (const r of records) {
          const h = new Uint8Array(12);
          const dv = new DataView(h.buffer);
          dv.setUint32(0, r.id >>> 0, true);
          dv.setUint32(4, r.enc >>> 0, true);
          dv.setUint32(8, Math.max(0, r.value.length + r.lie) >>> 0, true);
          parts.push(h, r.value);
        }
        if (end) parts.push(new Uint8Array(12));
        check(Buffer.concat(parts));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
