/**
 * io/pst-reader.ts replaces a few of pst-extractor's methods to make it faster; each must read exactly what the
 * original read. Checked here against the file's own bytes and against the original byte loop, on a PST of three
 * 64 KiB stretches and on random inputs, and end to end by test/cli/outlook*.test.ts (the same verdicts, the same
 * bytes).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readPstNumber } from "../../src/formats/pst.js";
import { loadPstExtractor } from "../../src/io/pst-reader.js";
import { REPO_ROOT, TSX_LOADER } from "../helpers/cli.js";
import { itemFromEml } from "../helpers/outlook-msg.js";
import { pstFile } from "../helpers/pst-writer.js";

// A PST over three 64 KiB stretches: the committed one, with a message whose attachment is 200 KB of noise.
const dir = mkdtempSync(path.join(tmpdir(), "smimetrust-outlook-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, "three-stretches.pst");
const noise = Buffer.from(
  fc.sample(fc.uint8Array({ minLength: 200_000, maxLength: 200_000 }), { numRuns: 1, seed: 3 })[0],
);
const item = itemFromEml(
  readFileSync(path.join(REPO_ROOT, "test/fixtures/outlook/eml/rsa-clear-signed.eml")),
);
writeFileSync(
  file,
  pstFile([{ name: "Inbox", items: [{ ...item, attachments: [{ ...item.attachments[0], bytes: noise }] }] }]),
);
const bytes = readFileSync(file);
const { PSTFile } = loadPstExtractor();
const req = createRequire(import.meta.url);
const Long = createRequire(req.resolve("pst-extractor"))("long") as {
  fromNumber(n: number): { toString(): string };
};
const { PSTUtil } = req("pst-extractor/dist/PSTUtil.class.js") as {
  PSTUtil: { arraycopy(src: Buffer, srcPos: number, dest: Buffer, destPos: number, length: number): void };
};

interface Io {
  readSync(buffer: Buffer, length: number, position: number): number;
  extractLEFileOffset(at: unknown): { toString(): string };
  close(): void;
}

describe("the pst-extractor the guards were written for", () => {
  it("a version without a method they replace is refused rather than read unguarded", () => {
    const reader = pathToFileURL(path.join(REPO_ROOT, "src/io/pst-reader.ts")).href;
    const code = `
      import { createRequire } from "node:module";
      const req = createRequire(${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, "package.json")).href)});
      delete req("pst-extractor/dist/PSTFile.class.js").PSTFile.prototype.findBtreeItem;
      const { loadPstExtractor } = await import(${JSON.stringify(reader)});
      try { loadPstExtractor(); console.log("loaded"); } catch (e) { console.log(e.message); }`;
    const r = spawnSync(process.execPath, ["--import", TSX_LOADER, "--input-type=module", "-e", code], {
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe(
      "pst-extractor has no findBtreeItem: not the version smimetrust's guards were written for (1.12.0)",
    );
    const pinned = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).dependencies[
      "pst-extractor"
    ];
    expect(pinned).toBe("1.12.0");
  });
});

describe("pst-extractor's reads, made faster, read what the file holds", () => {
  it("readSync: any range, across the 64 KiB stretches and past the end, gives the file's bytes and count", () => {
    const pst = new PSTFile(file) as unknown as Io;
    try {
      const size = bytes.length;
      const cases = fc.sample(
        fc.record({ at: fc.nat({ max: size + 100 }), length: fc.integer({ min: 1, max: 70_000 }) }),
        { numRuns: 3000, seed: 20261205 },
      );
      // Reads at the boundaries of the stretches and of the file too.
      expect(size).toBeGreaterThan(3 * 65_536);
      for (const at of [0, 65_535, 65_536, 131_071, 131_072, size - 1, size])
        cases.push({ at, length: 2 }, { at, length: 65_536 });
      for (const { at, length } of cases) {
        const got = Buffer.alloc(length, 0xee);
        const n = pst.readSync(got, length, at);
        const want = bytes.subarray(at, at + length);
        expect(n).toBe(want.length);
        expect(got.subarray(0, n).equals(want)).toBe(true);
      }
    } finally {
      pst.close();
    }
  });

  it("extractLEFileOffset: the little-endian number at any offset, as a signed 64-bit value (32-bit in ANSI files)", () => {
    const pst = new PSTFile(file) as unknown as Io;
    // The same file read as an ANSI one: only the width of the number changes.
    const ansi = Object.create(pst, { _pstFileType: { value: 14 } }) as Io;
    try {
      for (const at of fc.sample(fc.nat({ max: bytes.length - 8 }), { numRuns: 2000, seed: 7 })) {
        expect(pst.extractLEFileOffset(Long.fromNumber(at)).toString()).toBe(
          bytes.readBigInt64LE(at).toString(),
        );
        expect(ansi.extractLEFileOffset(Long.fromNumber(at)).toString()).toBe(String(bytes.readUInt32LE(at)));
      }
      // Past the end of the file, the missing bytes read as zero.
      const last = bytes.length - 3;
      const tail = Buffer.alloc(8);
      bytes.copy(tail, 0, last);
      expect(pst.extractLEFileOffset(Long.fromNumber(last)).toString()).toBe(
        tail.readBigInt64LE(0).toString(),
      );
    } finally {
      pst.close();
    }
  });

  it("readPstNumber: the unsigned little-endian number of 4 or 8 bytes (exact to 2^53) at any offset; none past the end", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), (b, n) => {
        const v = Buffer.from(b);
        const at = n % (b.length - 7);
        expect(readPstNumber(b, at, 4)).toBe(v.readUInt32LE(at));
        const big = v.readBigUInt64LE(at);
        if (big <= BigInt(Number.MAX_SAFE_INTEGER)) expect(readPstNumber(b, at, 8)).toBe(Number(big));
        expect(() => readPstNumber(b, b.length - 3, 4)).toThrow(RangeError);
        expect(() => readPstNumber(b, b.length - 7, 8)).toThrow(RangeError);
        expect(() => readPstNumber(b, -1, 4)).toThrow(RangeError);
      }),
      { numRuns: 2000, seed: 11 },
    );
    // The largest offsets a PST can hold exactly.
    const top = Buffer.alloc(8);
    top.writeBigUInt64LE(BigInt(Number.MAX_SAFE_INTEGER));
    expect(readPstNumber(top, 0, 8)).toBe(Number.MAX_SAFE_INTEGER);
    expect(readPstNumber(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4)).toBe(0xffffffff);
  });

  it("findBtreeItem: every node and block of a Unicode and an ANSI file found with its entry; others not", () => {
    const ansiFile = path.join(dir, "ansi.pst");
    writeFileSync(ansiFile, pstFile([{ name: "Inbox", items: Array(12).fill(item) }], { ansi: true }));
    for (const [f, ansi] of [
      [file, false],
      [ansiFile, true],
    ] as const) {
      const b = readFileSync(f);
      // A walk of the two trees by the layout of [MS-PST], independent of the code under test.
      const w = ansi ? 4 : 8;
      const area = ansi ? 496 : 488;
      const num = (at: number) => (ansi ? b.readUInt32LE(at) : Number(b.readBigUInt64LE(at)));
      const leaves = (at: number, size: number, out: Buffer[]): Buffer[] => {
        const count = b[at + area];
        if (b[at + area + 3] === 0) {
          for (let x = 0; x < count; x++) out.push(b.subarray(at + x * size, at + (x + 1) * size));
        } else for (let x = 0; x < count; x++) leaves(num(at + x * 3 * w + 2 * w), size, out);
        return out;
      };
      const nodes = leaves(num(ansi ? 188 : 224), ansi ? 16 : 32, []);
      const blocks = leaves(num(ansi ? 196 : 240), ansi ? 12 : 24, []);
      // Enough entries for trees of two levels in the ANSI file (31 and 41 entries to a leaf page).
      if (ansi) expect(nodes.length).toBeGreaterThan(31);
      const pst = new PSTFile(f) as unknown as Io & { findBtreeItem(id: unknown, desc: boolean): Buffer };
      try {
        for (const [entries, desc] of [
          [nodes, true],
          [blocks, false],
        ] as const) {
          const ids = entries.map((e) => (desc || ansi ? e.readUInt32LE(0) : Number(e.readBigUInt64LE(0))));
          for (const [i, id] of ids.entries())
            expect(pst.findBtreeItem(Long.fromNumber(id), desc).equals(entries[i])).toBe(true);
          const absent = [0, 1, Math.max(...ids) + 2, 0xfffffff0].filter((x) => !ids.includes(x));
          for (const id of absent)
            expect(() => pst.findBtreeItem(Long.fromNumber(id), desc)).toThrow(
              `${desc ? "node" : "block"} ${id} is not in the ${desc ? "node" : "block"} B-tree`,
            );
        }
      } finally {
        pst.close();
      }
    }
  });

  it("arraycopy: the same bytes as pst-extractor's byte loop, for any ranges, shared buffers and bad arguments included", () => {
    // pst-extractor's loop: bytes past the source's end are written as 0, nothing is written past the destination's.
    const loop = (src: Buffer, srcPos: number, dest: Buffer, destPos: number, length: number) => {
      let s = srcPos;
      let d = destPos;
      let i = 0;
      while (i++ < length) dest[d++] = src[s++];
    };
    // Mostly ranges inside the buffers (where the copy is native), sometimes ones that are not.
    const pos = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 8 },
      { arbitrary: fc.constantFrom(-3, -1, 41, Number.NaN, 1.5), weight: 1 },
    );
    const len = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 8 },
      { arbitrary: fc.constantFrom(-2, 45), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 40 }),
        fc.uint8Array({ minLength: 20, maxLength: 40 }),
        pos,
        pos,
        len,
        fc.boolean(),
        (a, b, srcPos, destPos, length, shared) => {
          const run = (copy: typeof loop) => {
            // Buffers of their own (Buffer.from may take small ones from one shared pool).
            const own = (x: Uint8Array) => {
              const o = Buffer.alloc(x.length);
              o.set(x);
              return o;
            };
            const src = own(a);
            const dest = shared ? src : own(b);
            copy(src, srcPos, dest, destPos, length);
            return [Buffer.from(src), Buffer.from(dest)];
          };
          expect(run(PSTUtil.arraycopy)).toEqual(run(loop));
        },
      ),
      { numRuns: 5000, seed: 42 },
    );
  });
});
