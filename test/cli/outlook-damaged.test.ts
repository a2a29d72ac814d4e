/**
 * Damaged Outlook files end, with one line or an error result, never a hang: the readers follow chains and
 * B-trees without bounds, so verify checks the structure first (formats/cfb.ts, formats/pst.ts) and guards the
 * one read loop of pst-extractor that can spin (io/outlook.ts). A hang here shows as the test's timeout.
 * The files in test/fixtures/outlook/damaged were found by seeded mutation of the committed fixtures; each once
 * made a reader loop for ever.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SmimetrustError } from "../../src/errors.js";
import { checkCompoundFile } from "../../src/formats/cfb.js";
import { checkPstStructure, readPstHeader } from "../../src/formats/pst.js";
import { outlookItems } from "../../src/io/outlook.js";
import { cli, REPO_ROOT } from "../helpers/cli.js";

const fx = path.join(REPO_ROOT, "test/fixtures/outlook");
const trust = ["--trust", path.join(fx, "trust"), "--crl", path.join(fx, "crls"), "--jobs", "1"];
const dir = mkdtempSync(path.join(tmpdir(), "smimetrust-outlook-damaged-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const msg = readFileSync(path.join(fx, "msg/rsa-clear-signed.msg"));
const pst = readFileSync(path.join(fx, "archive.pst"));

const expectMalformed = (f: () => void, re: RegExp) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SmimetrustError);
    expect((e as Error).message).toMatch(re);
    return;
  }
  expect.fail("no error");
};

describe("damaged .msg files (compound file checks)", () => {
  it("a stream claiming 1.2 GB (msgreader would loop): one line, exit 2", async () => {
    const r = await cli(["verify", path.join(fx, "damaged/stream-size.msg"), ...trust]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^smimetrust: .*stream-size\.msg: damaged Outlook \.msg file \(compound file\): stream of 1207959562 bytes in a file of 11264 \(at byte \d+\)\n$/,
    );
  });

  it("a sector chain that loops, and a directory tree that reaches an entry twice", () => {
    const loop = Buffer.from(msg);
    const fat0 = loop.readUInt32LE(76);
    const firstDir = loop.readUInt32LE(48);
    loop.writeUInt32LE(firstDir, (fat0 + 1) * 512 + 4 * firstDir); // the directory's next sector: itself
    expectMalformed(() => checkCompoundFile(loop), /the directory: its sector chain loops at sector \d+/);
    const cycle = Buffer.from(msg);
    const root = (firstDir + 1) * 512;
    const child = cycle.readUInt32LE(root + 76);
    expect(child).toBeLessThan(4); // in the directory's first sector
    cycle.writeUInt32LE(child, root + child * 128 + 72); // its right sibling: itself
    expectMalformed(() => checkCompoundFile(cycle), new RegExp(`reaches entry ${child} twice`));
    expect(() => checkCompoundFile(msg)).not.toThrow();
  });
});

describe("damaged PST files (B-tree checks and guarded reads)", () => {
  it("a B-tree page that points back to itself: one line, exit 2", async () => {
    const b = Buffer.from(pst);
    const nbt = Number(b.readBigUInt64LE(224));
    expect(b[nbt + 491]).toBe(1); // an intermediate page
    b.writeBigUInt64LE(BigInt(nbt), nbt + 16); // its first child: itself
    const f = path.join(dir, "loop.pst");
    writeFileSync(f, b);
    const r = await cli(["verify", f, ...trust]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `smimetrust: ${f}: the node B-tree reaches the page at byte ${nbt} twice (at byte ${nbt + 16})\n`,
    );
    expect(() =>
      checkPstStructure(readPstHeader(pst), pst.length, (ib) => pst.subarray(ib, ib + 512)),
    ).not.toThrow();
  });

  it("a node shorter than its length says (pst-extractor's read loop would spin): that item is an error", async () => {
    const r = await cli(["verify", path.join(fx, "damaged/short-node.pst"), ...trust, "--json"]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as { file: string; verdict: string }[];
    expect(rows.map((x) => [x.file.replace(/^.*#/, ""), x.verdict])).toEqual([
      ["/Top of Outlook data file/Inbox/1", "valid"],
      ["/Top of Outlook data file/Inbox/3", "invalid"],
      ["/Top of Outlook data file/Inbox/Signed/1", "error"],
      ["/Top of Outlook data file/Review/1", "invalid"],
    ]);
  });

  it("a folder whose message count says billions: its contents table's rows are read, no more", async () => {
    const r = await cli(["verify", path.join(fx, "damaged/content-count.pst"), ...trust, "--json"]);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as { file: string; verdict: string }[];
    expect(rows).toHaveLength(4);
  });
});

describe("seeded mutations of the fixtures: every outcome is items or one typed error", () => {
  let seed = 20261204;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const mutate = (src: Buffer) => {
    const b = Buffer.from(src);
    for (let k = 1 + Math.floor(rnd() * 8); k > 0; k--)
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    return b;
  };
  for (const [kind, src, n] of [
    ["msg", msg, 300],
    ["pst", pst, 200],
  ] as const) {
    it(`${n} mutated .${kind} files`, () => {
      const outcomes = { items: 0, errors: 0 };
      for (let i = 0; i < n; i++) {
        const f = path.join(dir, `m${i}.${kind}`);
        writeFileSync(f, mutate(src));
        try {
          for (const e of outlookItems(f)) expect(e.name.startsWith(f)).toBe(true);
          outcomes.items++;
        } catch (e) {
          if (!(e instanceof SmimetrustError)) throw new Error(`case ${i}: ${(e as Error).stack}`);
          outcomes.errors++;
        }
      }
      expect(outcomes.items + outcomes.errors).toBe(n);
      expect(outcomes.items).toBeGreaterThan(0);
    }, 120_000);
  }
});
