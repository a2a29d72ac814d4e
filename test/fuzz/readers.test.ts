/**
 * Fuzzing every reader of untrusted bytes (PEM, DER, P7B, .sst, PFX, MIME, CMS, CRL, OCSP): a seeded
 * sample of the million-case run (`npm run fuzz -- --reader <name> --cases 1000000`). Each case must read
 * or throw one of the project's typed errors (never TypeError, RangeError...), on one line, within the
 * per-case time limit. The hostile inputs of issue 9 are in the corpora and read as they are here too.
 */
import { describe, expect, it } from "vitest";
import { SmimetrustError } from "../../src/errors.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { fuzzReader } from "./engine.js";
import { READER_NAMES, type Reader, reader } from "./readers.js";

const CASES = Number(process.env.FUZZ_READER_CASES) || 3000;
/** Per case; the machine may be busy (a case normally takes well under a millisecond). */
const LIMIT_MS = 1000;

describe("fuzz: every reader, seeded sample", () => {
  for (const name of READER_NAMES) {
    it(`${name}: ${CASES} cases (corpus mutations and fast-check): typed errors only, none over ${LIMIT_MS} ms`, () => {
      const rd = reader(name);
      const st = fuzzReader(rd, { cases: CASES, seed: 0x5eed, limitMs: LIMIT_MS, fastCheckShare: 0.2 });
      expect(st.failures).toEqual([]);
      expect(st.cases).toBe(CASES);
      // The sample exercises both outcomes: it is not all refusals at the first byte.
      expect(st.ok).toBeGreaterThan(0);
      expect(st.refused).toBeGreaterThan(CASES / 4);
    }, 60_000);
  }
});

describe("fuzz: the hostile inputs, unmutated", () => {
  for (const name of READER_NAMES) {
    const rd = reader(name);
    for (const c of rd.corpus.filter((x) => x.name.startsWith("hostile"))) {
      it(`${name}: ${c.name} is refused with a typed error, quickly`, () => {
        const started = performance.now();
        let err: unknown;
        try {
          rd.read(c.bytes, 0);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SmimetrustError);
        expect(performance.now() - started).toBeLessThan(LIMIT_MS);
      });
    }
  }
});

describe("fuzz: the engine fails a run as it should", () => {
  const corpus = [{ name: "x", bytes: Uint8Array.of(1, 2, 3) }];
  it("an untyped error is a failure, with the seed and index that replay it", () => {
    const bad: Reader = {
      name: "der",
      corpus,
      read: (b) => {
        if (b.length > 3) throw new TypeError("boom");
      },
    };
    const st = fuzzReader(bad, { cases: 200, seed: 7, limitMs: 1000, fastCheckShare: 0 });
    expect(st.failures.length).toBeGreaterThan(0);
    expect(st.failures[0].where).toMatch(/^--reader der --seed 7 --index \d+ \(mutation of x\)$/);
    expect(st.failures[0].error).toMatch(/^TypeError: boom/);
  });

  it("a case over the time limit is a failure, every time it is run", () => {
    const slow: Reader = {
      name: "pem",
      corpus,
      read: (b) => {
        if (b[0] !== 1) return;
        const until = performance.now() + 30;
        while (performance.now() < until);
      },
    };
    const st = fuzzReader(slow, { cases: 20, seed: 1, limitMs: 10, fastCheckShare: 0 });
    expect(st.failures.some((f) => /over the 10 ms limit per case/.test(f.error))).toBe(true);
  });
});

describe("fuzz: crashes the million-case runs found, fixed in their reader", () => {
  it("p7b/readCertificateBytes: UTF-16 big-endian text of an odd length (was RangeError from swap16)", () => {
    const bytes = Buffer.from("feff063bc1721d36ff", "hex");
    expect(() => readCertificateBytes(bytes, "odd.txt")).toThrow(SmimetrustError);
    // The same with a certificate in it: the stray last byte is ignored.
    const pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const be = Buffer.concat([Buffer.of(0xfe, 0xff), Buffer.from(pem, "utf16le").swap16(), Buffer.of(0x41)]);
    expect(() => readCertificateBytes(be, "be.pem")).toThrow(SmimetrustError);
  });
});
