/**
 * Structural checks of an Outlook data file ([MS-PST]) before a reader walks it: the header (signature, version,
 * the file size it records) and both B-trees (node and block B-tree) page by page. A reader searching a B-tree
 * follows child pages for as long as their page type matches, so a page that points back up the tree (a damaged
 * or hostile file) would make it loop for ever. Checked here: each page inside the file, 512-byte aligned, of
 * the tree's page type, one level below its parent down to the leaves, reached once, with its entry counts
 * within the page. Pure: the caller hands in the header bytes, the file size and a page reader.
 */
import { MalformedInputError } from "../errors.js";

const MAGIC = [0x21, 0x42, 0x44, 0x4e]; // "!BDN"
const PAGE = 512;

export type PstFormat = "unicode" | "ansi" | "unicode-4k";

export interface PstHeader {
  format: PstFormat;
  /** ROOT.ibFileEof: the size the file should have. */
  fileEof: number;
  /** ROOT.BREFNBT.ib and ROOT.BREFBBT.ib: the root pages of the node and block B-trees. */
  nbtRoot: number;
  bbtRoot: number;
}

/**
 * Where each kind of file keeps what its B-trees are read by ([MS-PST] 2.2.2.6 and 2.2.2.7.7 for Unicode and ANSI;
 * the 4 KB pages of wVer 36 files as libpff documents them and pst-extractor reads them): in the header, the
 * offsets of the two trees' root pages; in a page, the entries, then cEnt, cbEnt and cLevel, then the page
 * trailer's ptype. An intermediate entry (BTENTRY) holds a key, then the child's BREF (BID, then its offset), each
 * `width` bytes. The structure walk here and the lookups of io/pst-reader.ts both read by it.
 */
export interface PstLayout {
  /** A B-tree page's size. */
  size: number;
  /** Bytes of entries before the counts. */
  area: number;
  /** cEnt: one byte (512-byte pages) or two (4 KB pages), at `area`. */
  countBytes: 1 | 2;
  cbEntAt: number;
  levelAt: number;
  ptypeAt: number;
  /** Keys, BIDs and file offsets: 4 bytes (ANSI) or 8. */
  width: 4 | 8;
  /** Entry sizes: intermediate (BTENTRY), node-tree leaf (NBTENTRY), block-tree leaf (BBTENTRY). */
  btEntry: number;
  nbtLeaf: number;
  bbtLeaf: number;
  /** Where the header holds ROOT.ibFileEof and the offsets (ib) of the node and block trees' root pages. */
  fileEofAt: number;
  nbtRootAt: number;
  bbtRootAt: number;
}

const UNICODE_HEADER = { width: 8, fileEofAt: 184, nbtRootAt: 224, bbtRootAt: 240 } as const;

export const PST_LAYOUTS: Record<PstFormat, PstLayout> = {
  unicode: {
    size: 512,
    area: 488,
    countBytes: 1,
    cbEntAt: 490,
    levelAt: 491,
    ptypeAt: 496,
    btEntry: 24,
    nbtLeaf: 32,
    bbtLeaf: 24,
    ...UNICODE_HEADER,
  },
  ansi: {
    size: 512,
    area: 496,
    countBytes: 1,
    cbEntAt: 498,
    levelAt: 499,
    ptypeAt: 500,
    btEntry: 12,
    nbtLeaf: 16,
    bbtLeaf: 12,
    width: 4,
    fileEofAt: 168,
    nbtRootAt: 188,
    bbtRootAt: 196,
  },
  "unicode-4k": {
    size: 4096,
    area: 4056,
    countBytes: 2,
    cbEntAt: 4060,
    levelAt: 4061,
    ptypeAt: 4072,
    btEntry: 24,
    nbtLeaf: 32,
    bbtLeaf: 24,
    ...UNICODE_HEADER,
  },
};

/** The kind of file a header's wVer names (14 and 15 ANSI, 23 Unicode, 36 Unicode with 4 KB pages), if any. */
export function pstFormatOfVersion(ver: number): PstFormat | undefined {
  if (ver === 14 || ver === 15) return "ansi";
  if (ver === 23) return "unicode";
  if (ver === 36) return "unicode-4k";
  return undefined;
}

/**
 * A little-endian number of `width` bytes (one of 8 bytes exact up to 2^53). From the bytes themselves: B-tree
 * lookups read every entry they pass through it, and a Buffer view per call cost more than the reading.
 */
export function readPstNumber(b: Uint8Array, at: number, width: 4 | 8): number {
  if (!(at >= 0 && at + width <= b.length)) throw new RangeError(`no ${width} bytes at ${at}`);
  const low = b[at] + b[at + 1] * 0x100 + b[at + 2] * 0x10000 + b[at + 3] * 0x1000000;
  if (width === 4) return low;
  return low + (b[at + 4] + b[at + 5] * 0x100 + b[at + 6] * 0x10000 + b[at + 7] * 0x1000000) * 2 ** 32;
}

/** The header's fields used here. `head`: the first 564 bytes (an ANSI header has 512). */
export function readPstHeader(head: Uint8Array): PstHeader {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 4 || !MAGIC.every((v, i) => b[i] === v))
    throw new MalformedInputError('is not an Outlook PST file (no "!BDN" signature at its start)', {
      offset: 0,
    });
  if (b.length < 512) throw new MalformedInputError("truncated PST header", { offset: b.length });
  const ver = b.readUInt16LE(10);
  const format = pstFormatOfVersion(ver);
  if (!format) throw new MalformedInputError(`unsupported PST version ${ver}`, { offset: 10 });
  if (format !== "ansi" && b.length < 564)
    throw new MalformedInputError("truncated PST header", { offset: b.length });
  const L = PST_LAYOUTS[format];
  return {
    format,
    fileEof: readPstNumber(b, L.fileEofAt, L.width),
    nbtRoot: readPstNumber(b, L.nbtRootAt, L.width),
    bbtRoot: readPstNumber(b, L.bbtRootAt, L.width),
  };
}

/**
 * Checks the header against the file size and walks both B-trees, in each of the three page layouts (pages of
 * 512 bytes in Unicode and ANSI files, of 4 KB in the wVer 36 files of Outlook 2013 and later). Each page must
 * lie inside the file on a 512-byte boundary, be of the tree's type, sit one level below its parent and be
 * reached once, so a reader that follows the tree from its root reaches a leaf in at most eight steps. Throws
 * MalformedInputError with the byte offset.
 */
export function checkPstStructure(
  h: PstHeader,
  fileSize: number,
  readPage: (ib: number) => Uint8Array,
): void {
  if (fileSize < h.fileEof)
    throw new MalformedInputError(
      `truncated PST: its header gives ${h.fileEof.toLocaleString("en-US")} bytes, the file has ${fileSize.toLocaleString("en-US")}`,
      { offset: fileSize },
    );
  const L = PST_LAYOUTS[h.format];
  const seen = new Set<number>();
  const walk = (root: number, rootAt: number, ptype: number, what: string) => {
    const stack: { ib: number; level: number | undefined; from: number }[] = [
      { ib: root, level: undefined, from: rootAt },
    ];
    while (stack.length) {
      const { ib, level, from } = stack.pop()!;
      if (ib % PAGE !== 0 || ib < PAGE || ib + L.size > fileSize)
        throw new MalformedInputError(
          `${what} page at byte ${ib} is outside the file or not on a page boundary`,
          {
            offset: from,
          },
        );
      if (seen.has(ib))
        throw new MalformedInputError(`${what} reaches the page at byte ${ib} twice`, { offset: from });
      seen.add(ib);
      const p = Buffer.from(readPage(ib));
      if (p.length < L.size) throw new MalformedInputError(`${what} page cut short`, { offset: ib });
      if (p[L.ptypeAt] !== ptype || p[L.ptypeAt + 1] !== ptype)
        throw new MalformedInputError(`${what} page of type 0x${p[L.ptypeAt].toString(16)}`, {
          offset: ib + L.ptypeAt,
        });
      const cEnt = L.countBytes === 2 ? p.readUInt16LE(L.area) : p[L.area];
      const cbEnt = p[L.cbEntAt];
      const cLevel = p[L.levelAt];
      if (level !== undefined ? cLevel !== level : cLevel > 8)
        throw new MalformedInputError(`${what} page at level ${cLevel} where ${level ?? "0 to 8"} belongs`, {
          offset: ib + L.levelAt,
        });
      if (cbEnt === 0 || cEnt * cbEnt > L.area || (cLevel > 0 && cbEnt !== L.btEntry))
        throw new MalformedInputError(`${what} page with ${cEnt} entries of ${cbEnt} bytes`, {
          offset: ib + L.area,
        });
      if (cLevel === 0) continue;
      for (let i = cEnt - 1; i >= 0; i--) {
        // The child's offset: after the key and the child's BID.
        const at = i * cbEnt + 2 * L.width;
        const child = readPstNumber(p, at, L.width);
        stack.push({ ib: child, level: cLevel - 1, from: ib + at });
      }
    }
  };
  walk(h.nbtRoot, L.nbtRootAt, 0x81, "the node B-tree");
  walk(h.bbtRoot, L.bbtRootAt, 0x80, "the block B-tree");
}
