/**
 * Damaged Outlook files end, with one line or an error result, never a hang: the readers follow chains and
 * B-trees without bounds, so verify checks the structure first (formats/cfb.ts, formats/pst.ts) and guards the
 * one read loop of pst-extractor that can spin (io/outlook.ts). A hang here shows as the test's timeout.
 * The files in test/fixtures/outlook/damaged were found by seeded mutation of the committed fixtures; each once
 * made a reader loop for ever.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { SmimetrustError } from "../../src/errors.js";
import { checkCompoundFile } from "../../src/formats/cfb.js";
import { checkPstStructure, readPstHeader } from "../../src/formats/pst.js";
import { outlookItems } from "../../src/io/outlook.js";
import { loadPstExtractor, MAX_INFLATED_BLOCK } from "../../src/io/pst-reader.js";
import { cli, REPO_ROOT, spawnCli } from "../helpers/cli.js";
import type { TestItem } from "../helpers/outlook-msg.js";
import { pstFile } from "../helpers/pst-writer.js";

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

  it("an id below a page's first key, with the page's own offset in front of it (pst-extractor looped): one line, exit 2", () => {
    const b = Buffer.from(pst);
    const root = Number(b.readBigUInt64LE(224));
    b.writeBigUInt64LE(0xffffffffn, root); // the first entry's key: above every node id
    b.writeBigUInt64LE(BigInt(root), root - 8); // the 8 bytes in front of the page (the page before's BID)
    const f = path.join(dir, "below-first-key.pst");
    writeFileSync(f, b);
    // The walk of formats/pst.ts finds nothing wrong: the tree's pages and levels are as they were.
    expect(() =>
      checkPstStructure(readPstHeader(b), b.length, (ib) => b.subarray(ib, ib + 512)),
    ).not.toThrow();
    const r = spawnCli(["verify", f, ...trust]);
    expect(r.stderr).toBe(
      `smimetrust: ${f}: cannot read the Outlook PST file: node 97 is not in the node B-tree\n`,
    );
    expect(r.code).toBe(2);
  }, 90_000);

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

describe("hostile PSTs: what is read is what the file holds, in memory in proportion to it", () => {
  const smimeItem = (bytes: Uint8Array): TestItem => ({
    messageClass: "IPM.Note.SMIME",
    subject: "zlib",
    senderName: "Alice",
    senderEmail: "alice@contoso.com",
    to: "Bob",
    transportHeaders: "From: alice@contoso.com\r\nSubject: zlib\r\n",
    attachments: [{ fileName: "smime.p7m", mimeTag: "application/pkcs7-mime", bytes }],
  });
  const entries = (f: string) => [...outlookItems(f)];

  it("an attachment that begins 78 9C is read as stored: pst-extractor inflated it (16 KB made 16 MB)", () => {
    const stored = deflateSync(Buffer.alloc(16 << 20));
    expect(stored.subarray(0, 2).toString("hex")).toBe("789c");
    expect(stored.length).toBeLessThan(100_000);
    const f = path.join(dir, "zlib.pst");
    writeFileSync(f, pstFile([{ name: "Inbox", items: [smimeItem(stored)] }]));
    const [e] = entries(f);
    expect("bytes" in e).toBe(true);
    const mail = Buffer.from((e as { bytes: Uint8Array }).bytes);
    const body = mail.subarray(mail.indexOf("\r\n\r\n") + 4).toString("latin1");
    // Sizes, then bytes, compared as numbers and a boolean: a failure's diff of megabytes would never end.
    const read = Buffer.from(body, "base64");
    expect(read.length).toBe(stored.length);
    expect(read.equals(stored)).toBe(true);
  });

  it("a node that says it holds more than its blocks: that item an error, before anything is allocated for it", () => {
    const att = Buffer.alloc(20_000, 0x30);
    const b = pstFile([{ name: "Inbox", items: [smimeItem(att)] }]);
    // The attachment's XBLOCK: btype 1, cLevel 1, three blocks, lcbTotal 20,000.
    const x = b.indexOf(Buffer.from([1, 1, 3, 0, 0x20, 0x4e, 0, 0]));
    expect(x).toBeGreaterThan(0);
    b.writeUInt32LE(900_000_000, x + 4);
    const f = path.join(dir, "says-more.pst");
    writeFileSync(f, b);
    // Unguarded, pst-extractor allocated the 900 MB and then failed with "Cannot read properties of undefined".
    const r = spawnCli(["verify", f, ...trust, "--json"]);
    expect(r.code).toBe(1);
    const [row] = JSON.parse(r.stdout) as {
      file: string;
      verdict: string;
      problems: { message: string }[];
    }[];
    expect(row.file).toBe(`${f}#/Top of Outlook data file/Inbox/1`);
    expect(row.verdict).toBe("error");
    expect(row.problems[0].message).toContain(
      "the PST item cannot be read (a node says it holds 900,000,000 bytes, its 3 blocks hold 20,000)",
    );
  }, 90_000);

  it("block lists: a list of lists inside a list of lists, a list longer than its block: that item an error", () => {
    const two = pstFile([
      {
        name: "Inbox",
        items: [smimeItem(Buffer.alloc(20_000, 0x30)), smimeItem(Buffer.alloc(20_000, 0x31))],
      },
    ]);
    // The two attachments' XBLOCKs (btype 1, cLevel 1, three blocks, lcbTotal 20,000), each a 64-byte block whose
    // trailer ends with its BID.
    const head = Buffer.from([1, 1, 3, 0, 0x20, 0x4e, 0, 0]);
    const x1 = two.indexOf(head);
    const x2 = two.indexOf(head, x1 + 1);
    expect(x2).toBeGreaterThan(x1);
    const bid = (x: number) => two.readBigUInt64LE(x + 56);
    const nested = Buffer.from(two);
    for (const [x, other] of [
      [x1, x2],
      [x2, x1],
    ]) {
      nested[x + 1] = 2; // an XXBLOCK...
      for (let i = 0; i < 3; i++) nested.writeBigUInt64LE(bid(other), x + 8 + 8 * i); // ...of the other one
    }
    const f = path.join(dir, "nested-lists.pst");
    writeFileSync(f, nested);
    expect(entries(f).map((e) => ("error" in e ? e.error : "read"))).toEqual([
      "the PST item cannot be read (a list of block lists (XXBLOCK) lists another)",
      "the PST item cannot be read (a list of block lists (XXBLOCK) lists another)",
    ]);
    const long = Buffer.from(two);
    long.writeUInt16LE(500, x1 + 2);
    const g = path.join(dir, "long-list.pst");
    writeFileSync(g, long);
    expect(entries(g).map((e) => ("error" in e ? e.error : "read"))).toEqual([
      "the PST item cannot be read (a block list says it lists 500 blocks in 32 bytes)",
      "read",
    ]);
  });

  it("subnode lists: a list of subnode lists that lists itself: that item an error", () => {
    const b = pstFile([{ name: "Inbox", items: [smimeItem(Buffer.alloc(2_000, 0x30))] }]);
    // The blocks, from the leaves of the block B-tree (Unicode: a root page over leaf pages of 24-byte entries).
    const blocks: { bid: bigint; ib: number }[] = [];
    const walk = (page: number) => {
      const count = b[page + 488];
      for (let x = 0; x < count; x++)
        if (b[page + 491] > 0) walk(Number(b.readBigUInt64LE(page + x * 24 + 16)));
        else
          blocks.push({
            bid: b.readBigUInt64LE(page + x * 24),
            ib: Number(b.readBigUInt64LE(page + x * 24 + 8)),
          });
    };
    walk(Number(b.readBigUInt64LE(240)));
    // The message's subnode list (SLBLOCK: btype 2, cLevel 0), made a list of lists (cLevel 1) whose one entry is
    // the block itself.
    const sl = blocks.find((x) => b[x.ib] === 2 && b[x.ib + 1] === 0);
    expect(sl).toBeDefined();
    b[sl!.ib + 1] = 1;
    b.writeUInt16LE(1, sl!.ib + 2);
    b.writeBigUInt64LE(sl!.bid, sl!.ib + 16);
    const f = path.join(dir, "subnode-lists.pst");
    writeFileSync(f, b);
    // pst-extractor steps over a message it cannot load, so the item's error does not give the reason...
    expect(entries(f).map((e) => ("error" in e ? e.error : "read"))).toEqual([
      "the PST item cannot be loaded (damaged or missing)",
    ]);
    // ...which the lookup of the subnodes gives (unguarded it recursed until the stack ran out; lists that list
    // each other many times over would have run for ever).
    const { PSTFile } = loadPstExtractor();
    const Long = createRequire(createRequire(import.meta.url).resolve("pst-extractor"))("long") as {
      fromNumber(n: number): unknown;
    };
    const pst = new PSTFile(f) as unknown as { getPSTDescriptorItems(bid: unknown): unknown; close(): void };
    try {
      expect(() => pst.getPSTDescriptorItems(Long.fromNumber(Number(sl!.bid)))).toThrow(
        "a list of subnode lists (SIBLOCK) lists another",
      );
    } finally {
      pst.close();
    }
  });

  it("version-36 files (compressed blocks): a node inflates to its blocks' bound, no more; other files never inflate", () => {
    loadPstExtractor();
    const { PSTNodeInputStream } = createRequire(import.meta.url)(
      "pst-extractor/dist/PSTNodeInputStream.class.js",
    ) as {
      PSTNodeInputStream: new (
        file: object,
        data: Buffer,
        encrypted: boolean,
      ) => { length: { toNumber(): number } };
    };
    // The stream of a node already read (its bytes given): only the file's version and encryption are asked.
    const node = (version: number, data: Buffer) =>
      new PSTNodeInputStream({ pstFileType: version, encryptionType: 0 }, data, false).length.toNumber();
    const full = deflateSync(Buffer.alloc(MAX_INFLATED_BLOCK, 0x61));
    expect(node(36, full)).toBe(MAX_INFLATED_BLOCK);
    expect(() => node(36, deflateSync(Buffer.alloc(MAX_INFLATED_BLOCK + 1, 0x61)))).toThrow(/larger than/i);
    expect(node(23, full)).toBe(full.length);
    expect(node(14, full)).toBe(full.length);
  });
});

/**
 * The B-trees of a PST in the other two page layouts, as pst-extractor reads them: an ANSI file (wVer 14: 512-byte
 * pages, 32-bit BIDs and offsets) and a file of 4 KB pages (wVer 36, Outlook 2013 and later; counts and trailer as
 * libpff documents them). Each tree is a root page at level 1 over two leaf pages. Only the header and the pages
 * are written: no Outlook file of either kind can be made here, so what these show is the walk, not the reading.
 */
type Layout = "ansi" | "unicode-4k";
const LAYOUT = {
  ansi: { ver: 14, size: 512, area: 496, ptypeAt: 500, btEntry: 12, nbtLeaf: 16, bbtLeaf: 12, first: 0x4400 },
  "unicode-4k": {
    ver: 36,
    size: 4096,
    area: 4056,
    ptypeAt: 4072,
    btEntry: 24,
    nbtLeaf: 32,
    bbtLeaf: 24,
    first: 0x5000,
  },
} as const;

function btreeSkeleton(layout: Layout): { file: Buffer; pages: { nbt: number[]; bbt: number[] } } {
  const L = LAYOUT[layout];
  const ansi = layout === "ansi";
  const at = (i: number) => L.first + i * L.size;
  const pages = { nbt: [at(0), at(1), at(2)], bbt: [at(3), at(4), at(5)] };
  const file = Buffer.alloc(at(6));
  file.write("!BDN", 0, "latin1");
  file.writeUInt16LE(0x4d53, 8);
  file.writeUInt16LE(L.ver, 10);
  file.writeUInt16LE(19, 12);
  const u = (v: number, o: number) => (ansi ? file.writeUInt32LE(v, o) : file.writeBigUInt64LE(BigInt(v), o));
  // ROOT: ibFileEof, then the BREFs (BID, offset) of the node and block B-trees.
  const [eofAt, nbtAt, bbtAt] = ansi ? [168, 184, 192] : [184, 216, 232];
  u(file.length, eofAt);
  u(0x1000, nbtAt);
  u(pages.nbt[0], nbtAt + (ansi ? 4 : 8));
  u(0x1004, bbtAt);
  u(pages.bbt[0], bbtAt + (ansi ? 4 : 8));
  const page = (ib: number, ptype: number, level: number, entries: Buffer[]) => {
    const cbEnt = entries[0].length;
    entries.forEach((e, i) => {
      e.copy(file, ib + i * cbEnt);
    });
    if (ansi) file[ib + L.area] = entries.length;
    else file.writeUInt16LE(entries.length, ib + L.area);
    file[ib + L.area + (ansi ? 1 : 2)] = Math.floor(L.area / cbEnt); // cEntMax
    file[ib + L.area + (ansi ? 2 : 4)] = cbEnt;
    file[ib + L.area + (ansi ? 3 : 5)] = level;
    file[ib + L.ptypeAt] = ptype;
    file[ib + L.ptypeAt + 1] = ptype;
  };
  const entry = (size: number, key: number, child?: number) => {
    const e = Buffer.alloc(size);
    if (ansi) {
      e.writeUInt32LE(key, 0);
      if (child !== undefined) e.writeUInt32LE(child, 8);
    } else {
      e.writeBigUInt64LE(BigInt(key), 0);
      if (child !== undefined) e.writeBigUInt64LE(BigInt(child), 16);
    }
    return e;
  };
  for (const [tree, ptype, leaf, keys] of [
    ["nbt", 0x81, L.nbtLeaf, [0x21, 0x61, 0x122, 0x12d]],
    ["bbt", 0x80, L.bbtLeaf, [4, 8, 12, 16]],
  ] as const) {
    const [root, a, b] = pages[tree];
    page(root, ptype, 1, [entry(L.btEntry, keys[0], a), entry(L.btEntry, keys[2], b)]);
    page(a, ptype, 0, [entry(leaf, keys[0]), entry(leaf, keys[1])]);
    page(b, ptype, 0, [entry(leaf, keys[2]), entry(leaf, keys[3])]);
  }
  return { file, pages };
}

const walk = (f: Buffer) => {
  const h = readPstHeader(f);
  checkPstStructure(h, f.length, (ib) => f.subarray(ib, ib + LAYOUT[h.format as Layout].size));
};

describe("ANSI and 4 KB-page files: the same B-tree checks in their own layouts", () => {
  for (const layout of ["ansi", "unicode-4k"] as const) {
    const L = LAYOUT[layout];
    const ansi = layout === "ansi";
    const childAt = (ib: number, i: number) => ib + i * L.btEntry + (ansi ? 8 : 16);
    const setChild = (f: Buffer, at: number, v: number) =>
      ansi ? f.writeUInt32LE(v, at) : f.writeBigUInt64LE(BigInt(v), at);

    it(`${layout}: a well-formed tree passes; a page reached twice, a level out of place, a wrong type, too many entries do not`, () => {
      const { file, pages } = btreeSkeleton(layout);
      expect(readPstHeader(file).format).toBe(layout);
      expect(() => walk(file)).not.toThrow();

      const twice = Buffer.from(file);
      setChild(twice, childAt(pages.nbt[0], 1), pages.nbt[1]);
      expectMalformed(
        () => walk(twice),
        new RegExp(`the node B-tree reaches the page at byte ${pages.nbt[1]} twice`),
      );

      const up = Buffer.from(file);
      setChild(up, childAt(pages.bbt[0], 0), pages.bbt[0]);
      expectMalformed(
        () => walk(up),
        new RegExp(`the block B-tree reaches the page at byte ${pages.bbt[0]} twice`),
      );

      const level = Buffer.from(file);
      level[pages.nbt[2] + L.area + (ansi ? 3 : 5)] = 1;
      expectMalformed(() => walk(level), /the node B-tree page at level 1 where 0 belongs/);

      const cross = Buffer.from(file);
      setChild(cross, childAt(pages.nbt[0], 0), pages.bbt[1]);
      expectMalformed(() => walk(cross), /the node B-tree page of type 0x80/);

      // 4 KB pages count their entries in two bytes: 257 entries of 24 bytes overflow the page (one byte reads 1).
      const many = Buffer.from(file);
      if (ansi) many[pages.bbt[1] + L.area] = 42;
      else many.writeUInt16LE(257, pages.bbt[1] + L.area);
      expectMalformed(
        () => walk(many),
        new RegExp(`the block B-tree page with ${ansi ? 42 : 257} entries of`),
      );

      const outside = Buffer.from(file);
      setChild(outside, childAt(pages.nbt[0], 1), file.length - L.size + 512);
      expectMalformed(() => walk(outside), /is outside the file or not on a page boundary/);
    });

    it(`${layout}: a root page that points to itself (pst-extractor would follow it for ever): one line, exit 2`, () => {
      const { file, pages } = btreeSkeleton(layout);
      setChild(file, childAt(pages.nbt[0], 0), pages.nbt[0]);
      const f = path.join(dir, `loop-${layout}.pst`);
      writeFileSync(f, file);
      // In a process of its own, so that a loop is a failure after the helper's timeout, not a test run that hangs.
      const r = spawnCli(["verify", f, ...trust]);
      expect(r.stderr).toBe(
        `smimetrust: ${f}: the node B-tree reaches the page at byte ${pages.nbt[0]} twice (at byte ${childAt(pages.nbt[0], 0)})\n`,
      );
      expect(r.code).toBe(2);
    }, 90_000);
  }
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

  // The skeletons hold B-trees and nothing else, so every file ends as an error: refused by the walk, or by
  // pst-extractor (which finds no message store). What is tested is that each ends: a child pointer moved to
  // another page of either tree (a loop, a shared page, a page of the wrong tree) or bytes changed in the pages.
  // The files are verified as a folder by the CLI in a process of its own: a loop fails at the helper's timeout.
  for (const layout of ["ansi", "unicode-4k"] as const) {
    it(`150 mutated ${layout} B-trees: each file an error result`, () => {
      const { file, pages } = btreeSkeleton(layout);
      const L = LAYOUT[layout];
      const all = [...pages.nbt, ...pages.bbt];
      const folder = path.join(dir, `skeletons-${layout}`);
      mkdirSync(folder);
      for (let i = 0; i < 150; i++) {
        const b = Buffer.from(file);
        for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
          const pg = all[Math.floor(rnd() * all.length)];
          if (rnd() < 0.5) {
            const at = pg + Math.floor(rnd() * 2) * L.btEntry + (layout === "ansi" ? 8 : 16);
            const to = all[Math.floor(rnd() * all.length)];
            if (layout === "ansi") b.writeUInt32LE(to, at);
            else b.writeBigUInt64LE(BigInt(to), at);
          } else {
            const spots = [
              L.area,
              L.area + 1,
              L.area + 2,
              L.area + 3,
              L.area + 5,
              L.ptypeAt,
              ...Array(8).keys(),
            ];
            b[pg + spots[Math.floor(rnd() * spots.length)]] = Math.floor(rnd() * 256);
          }
        }
        writeFileSync(path.join(folder, `${String(i).padStart(3, "0")}.pst`), b);
      }
      const r = spawnCli(["verify", folder, ...trust, "--json"]);
      expect(r.code).toBe(1);
      const rows = JSON.parse(r.stdout) as {
        verdict: string;
        problems: { code: string; message: string }[];
      }[];
      expect(rows).toHaveLength(150);
      expect(rows.every((x) => x.verdict === "error" && x.problems[0].code === "MALFORMED")).toBe(true);
      const byWalk = rows.filter((x) =>
        /cannot read: the (node|block) B-tree/.test(x.problems[0].message),
      ).length;
      expect(byWalk).toBeGreaterThan(20);
      expect(150 - byWalk).toBeGreaterThan(20);
    }, 90_000);
  }
});
