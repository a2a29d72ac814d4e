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
  /** Where the header holds those two offsets (for error messages). */
  nbtRootAt: number;
  bbtRootAt: number;
}

/** The header's fields used here (Unicode: ROOT at 180; ANSI: ROOT at 164). `head`: the first 564 bytes. */
export function readPstHeader(head: Uint8Array): PstHeader {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 4 || !MAGIC.every((v, i) => b[i] === v))
    throw new MalformedInputError('is not an Outlook PST file (no "!BDN" signature at its start)', {
      offset: 0,
    });
  if (b.length < 512) throw new MalformedInputError("truncated PST header", { offset: b.length });
  const ver = b.readUInt16LE(10);
  if (ver === 14 || ver === 15)
    return {
      format: "ansi",
      fileEof: b.readUInt32LE(168),
      nbtRoot: b.readUInt32LE(188),
      bbtRoot: b.readUInt32LE(196),
      nbtRootAt: 188,
      bbtRootAt: 196,
    };
  if (ver !== 23 && ver !== 36)
    throw new MalformedInputError(`unsupported PST version ${ver}`, { offset: 10 });
  if (b.length < 564) throw new MalformedInputError("truncated PST header", { offset: b.length });
  return {
    format: ver === 36 ? "unicode-4k" : "unicode",
    fileEof: Number(b.readBigUInt64LE(184)),
    nbtRoot: Number(b.readBigUInt64LE(224)),
    bbtRoot: Number(b.readBigUInt64LE(240)),
    nbtRootAt: 224,
    bbtRootAt: 240,
  };
}

/**
 * Checks the header against the file size and walks both B-trees (512-byte pages: Unicode and ANSI files; the
 * 4 KB pages of Outlook 2013 OSTs are not walked here). Throws MalformedInputError with the byte offset.
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
  if (h.format === "unicode-4k") return;
  const ansi = h.format === "ansi";
  // Unicode: 488 bytes of entries, counts at 488..491, trailer at 496. ANSI: 496 bytes, counts at 496..499,
  // trailer at 500. Intermediate entries (BTENTRY): key, BID, IB of 8 bytes each (ANSI: 4).
  const area = ansi ? 496 : 488;
  const ptypeAt = ansi ? 500 : 496;
  const btEntry = ansi ? 12 : 24;
  const ibInEntry = ansi ? 8 : 16;
  const seen = new Set<number>();
  const walk = (root: number, rootAt: number, ptype: number, what: string) => {
    const stack: { ib: number; level: number | undefined; from: number }[] = [
      { ib: root, level: undefined, from: rootAt },
    ];
    while (stack.length) {
      const { ib, level, from } = stack.pop()!;
      if (ib % PAGE !== 0 || ib < PAGE || ib + PAGE > fileSize)
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
      if (p.length < PAGE) throw new MalformedInputError(`${what} page cut short`, { offset: ib });
      if (p[ptypeAt] !== ptype || p[ptypeAt + 1] !== ptype)
        throw new MalformedInputError(`${what} page of type 0x${p[ptypeAt].toString(16)}`, {
          offset: ib + ptypeAt,
        });
      const cEnt = p[area];
      const cbEnt = p[area + 2];
      const cLevel = p[area + 3];
      if (level !== undefined ? cLevel !== level : cLevel > 8)
        throw new MalformedInputError(`${what} page at level ${cLevel} where ${level ?? "0 to 8"} belongs`, {
          offset: ib + area + 3,
        });
      if (cbEnt === 0 || cEnt * cbEnt > area || (cLevel > 0 && cbEnt !== btEntry))
        throw new MalformedInputError(`${what} page with ${cEnt} entries of ${cbEnt} bytes`, {
          offset: ib + area,
        });
      if (cLevel === 0) continue;
      for (let i = cEnt - 1; i >= 0; i--) {
        const at = i * cbEnt + ibInEntry;
        const child = ansi ? p.readUInt32LE(at) : Number(p.readBigUInt64LE(at));
        stack.push({ ib: child, level: cLevel - 1, from: ib + at });
      }
    }
  };
  walk(h.nbtRoot, h.nbtRootAt, 0x81, "the node B-tree");
  walk(h.bbtRoot, h.bbtRootAt, 0x80, "the block B-tree");
}
