/**
 * pst-extractor, loaded on first use, with six guards added where a damaged or hostile PST could make it spin
 * or take memory out of all proportion to the file. Each patch replaces one method of its file (PSTFile) or its
 * node stream (the class every read of a node's data goes through) and keeps its contract; a refusal is an Error,
 * which io/outlook.ts reports as that item (or that file) being damaged.
 *
 * - readCompletely: it looped until a buffer was full, and a node whose blocks hold less than its length says made
 *   each read return nothing, for ever. A read that makes no progress now ends it.
 * - getBlockSkipPoints: a node's list of blocks may be a list of lists (an XXBLOCK), no deeper, and no list may say
 *   it holds more entries than its bytes do; pst-extractor followed lists of lists to any depth, so a few blocks
 *   listing each other a thousand times over made a node of a thousand to the power of their number of blocks.
 * - getPSTDescriptorItems: likewise a node's subnodes are a list (SLBLOCK) or a list of lists (SIBLOCK), no
 *   deeper; pst-extractor read lists of lists to any depth.
 * - loadFromOffsetItem: a node made of several blocks (an XBLOCK) states its length in four bytes, and every reader
 *   allocates that much before reading. A length beyond what the node's blocks can hold is refused first, with
 *   the reason (a node of 20 KB said to hold 900 MB was allocated in full, and its read then failed with
 *   "Cannot read properties of undefined").
 * - detectZlib: it inflated any node whose data began with the bytes 78 9C, in every kind of file. [MS-PST] has no
 *   compression: only the version-36 files of Outlook 2013 and later compress blocks, each to at most 65,535
 *   bytes (libpff: the block trailer holds that size in two bytes). In ANSI and Unicode files such data is now
 *   read as stored (an attachment of 200 KB that began 78 9C was inflated to 200 MB, and the run took 1.9 GB); in
 *   version-36 files each block may inflate to its bound, no more.
 * - findBtreeItem (every lookup of a node or block): where an id was below a page's first key it took the entry
 *   before the first, the 8 bytes in front of the page, as a child, so two edited 8-byte fields made a 47 KB
 *   Unicode PST loop for ever (formats/pst.ts walks the trees, not that path); and in ANSI files (Outlook 97-2002)
 *   it compared keys as Long objects with `>`, which JavaScript does on their decimal strings ("1058" < "97"), so
 *   it went down the wrong branch of any tree of more than one level: no ANSI PST of more than a few dozen nodes
 *   could be read. Lookups are now done here, in every layout: by number, a page at a time, at most 16 levels.
 *
 * And some for speed, none changing what is read: pst-extractor reads the file a few bytes at a time (a B-tree
 * entry, a single byte), each a system call, so PSTFile.readSync now serves small reads from the last few 64 KiB
 * stretches of the file it read; PSTFile.extractLEFileOffset, which its own B-tree walks call for each entry they
 * pass, built its number a byte at a time in 64-bit arithmetic, and now reads the bytes as two 32-bit halves;
 * PSTUtil.arraycopy copied a byte at a time in JavaScript, and now copies more than a few bytes natively when the
 * ranges lie within both buffers (and the copy does not run forward over its own source); and readCompletely reads
 * each block straight into its target. With the lookups above, `npm run bench:pst` (7,500 signed items in a 344 MB
 * PST) went from 16.36 s to 3.98 s, with the same results byte for byte.
 */
import { createRequire } from "node:module";
import { unzipSync } from "node:zlib";
import { PST_LAYOUTS, type PstLayout, pstFormatOfVersion, readPstNumber } from "../formats/pst.js";

type PstModule = typeof import("pst-extractor");

const require = createRequire(import.meta.url);

/** wVer of the files with 4 KB pages and compressed blocks (pst-extractor's PST_TYPE_2013_UNICODE). */
const VERSION_4K = 36;
/** pst-extractor's file type for ANSI files (it reads wVer 15 as 14 too). */
const PST_ANSI = 14;
/** The most a compressed block of a version-36 file inflates to. */
export const MAX_INFLATED_BLOCK = 0xffff;

/** The parts of pst-extractor's Long (the `long` package) the guards use. */
interface Long {
  toNumber(): number;
  lt(n: number): boolean;
  add(n: number): Long;
}
interface LongClass {
  ZERO: Long;
  fromNumber(n: number): Long;
  fromBits(low: number, high: number): Long;
}
interface OffsetItem {
  fileOffset: Long;
  size: number;
}
interface NodeStream {
  pstFile: {
    pstFileType: number;
    seek(at: Long): void;
    read(): number;
    readCompletely(b: Buffer): void;
    getOffsetIndexNode(bid: Long): OffsetItem;
  };
  indexItems: OffsetItem[];
  skipPoints: Long[];
  allData: Buffer | null;
  currentLocation: Long;
  currentBlock: number;
  _length: Long;
  readonly length: Long;
  read(): number;
  seek(at: Long): void;
  readFromOffset(target: Buffer, off: number, len: number): number;
  readBlock(output: Buffer): number;
  readCompletely(target: Buffer): void;
  loadFromOffsetItem(item: OffsetItem): void;
  getBlockSkipPoints(data: Buffer): void;
  detectZlib(): void;
}

/**
 * Whether a copy writes, a byte at a time from the start, over source bytes it has yet to read: then the byte loop
 * repeats what it wrote, where a native copy (memmove) would not.
 */
function copiesForwardOverItself(src: Buffer, srcPos: number, dest: Buffer, destPos: number, length: number) {
  if (src.buffer !== dest.buffer) return false;
  const from = src.byteOffset + srcPos;
  const to = dest.byteOffset + destPos;
  return to > from && to < from + length;
}

type ArrayCopy = (src: Buffer, srcPos: number, dest: Buffer, destPos: number, length: number) => void;

let loaded: PstModule | undefined;

export function loadPstExtractor(): PstModule {
  if (loaded) return loaded;
  const mod = require("pst-extractor") as PstModule;
  // pst-extractor's own Long, so that values put in its streams are of the class it compares with.
  const Long = createRequire(require.resolve("pst-extractor"))("long") as LongClass;
  const { PSTNodeInputStream } = require("pst-extractor/dist/PSTNodeInputStream.class.js") as {
    PSTNodeInputStream: { prototype: NodeStream };
  };
  const proto = PSTNodeInputStream.prototype;
  const fileProto = (mod as unknown as { PSTFile: { prototype: PstFileIo } }).PSTFile.prototype;
  const utilClass = (require("pst-extractor/dist/PSTUtil.class.js") as { PSTUtil: { arraycopy: ArrayCopy } })
    .PSTUtil;
  // The guards replace these methods: a version of pst-extractor without one of them would go unguarded, so it is
  // refused (package.json pins the version they were written for).
  const replaced: [object, string][] = [
    [proto, "readCompletely"],
    [proto, "readBlock"],
    [proto, "getBlockSkipPoints"],
    [proto, "loadFromOffsetItem"],
    [proto, "detectZlib"],
    [fileProto, "readSync"],
    [fileProto, "extractLEFileOffset"],
    [fileProto, "findBtreeItem"],
    [fileProto, "getPSTDescriptorItems"],
    [utilClass, "arraycopy"],
  ];
  for (const [o, name] of replaced)
    if (typeof (o as Record<string, unknown>)[name] !== "function")
      throw new Error(
        `pst-extractor has no ${name}: not the version smimetrust's guards were written for (1.12.0)`,
      );

  proto.readCompletely = function readCompletely(this: NodeStream, target: Buffer) {
    let off = 0;
    while (off < target.length) {
      // What readFromOffset does, without its buffer of the rest's size and its copy out of it.
      const n = this.readBlock(off === 0 ? target : target.subarray(off));
      if (!(n > 0)) throw new Error("unexpected end of a node's data");
      off += n;
    }
  };

  const byteByByte = utilClass.arraycopy;
  utilClass.arraycopy = function arraycopy(src, srcPos, dest, destPos, length) {
    // A few bytes in the loop, before anything else: asking a small buffer for its ArrayBuffer (the overlap check)
    // costs more than copying them.
    if (!(length > SMALL_COPY)) return byteByByte(src, srcPos, dest, destPos, length);
    const plain =
      Number.isSafeInteger(srcPos) &&
      Number.isSafeInteger(destPos) &&
      Number.isSafeInteger(length) &&
      srcPos >= 0 &&
      destPos >= 0 &&
      length >= 0 &&
      srcPos + length <= src.length &&
      destPos + length <= dest.length &&
      !copiesForwardOverItself(src, srcPos, dest, destPos, length);
    if (!plain) return byteByByte(src, srcPos, dest, destPos, length);
    Buffer.prototype.copy.call(src, dest, destPos, srcPos, srcPos + length);
  };

  proto.getBlockSkipPoints = function boundedSkipPoints(this: NodeStream, top: Buffer) {
    const width = this.pstFile.pstFileType === PST_ANSI ? 4 : 8;
    const said = this._length.toNumber();
    let held = 0;
    // An XXBLOCK lists XBLOCKs, an XBLOCK data blocks ([MS-PST] 2.2.2.8.3.2): two levels at most.
    const visit = (data: Buffer, outer: boolean) => {
      if (data[0] !== 0x01)
        throw new Error(
          "PSTNodeInputStream::loadFromOffsetItem Unable to process XBlock, incorrect identifier",
        );
      const count = data.readUInt16LE(2);
      if (8 + count * width > data.length)
        throw new Error(`a block list says it lists ${count} blocks in ${data.length} bytes`);
      if (data[1] === 0x02 && !outer) throw new Error("a list of block lists (XXBLOCK) lists another");
      for (let x = 0; x < count; x++) {
        // As pst-extractor reads a BID here: its low 32 bits, the reserved bit cleared.
        const bid = (data.readUInt32LE(8 + x * width) & 0xfffffffe) >>> 0;
        const item = this.pstFile.getOffsetIndexNode(Long.fromNumber(bid));
        if (data[1] === 0x02) {
          const child = Buffer.alloc(item.size);
          this.pstFile.seek(item.fileOffset);
          this.pstFile.readCompletely(child);
          visit(child, false);
        } else if (data[1] === 0x01) {
          this.indexItems.push(item);
          this.skipPoints.push(this.currentLocation);
          this.currentLocation = this.currentLocation.add(item.size);
          held += item.size;
          if (this.pstFile.pstFileType !== VERSION_4K && held > said)
            throw new Error(
              `a node says it holds ${said.toLocaleString("en-US")} bytes, its blocks hold more`,
            );
        }
      }
    };
    visit(top, true);
  };

  const loadFromOffsetItem = proto.loadFromOffsetItem;
  proto.loadFromOffsetItem = function guardedLoad(this: NodeStream, item: OffsetItem) {
    loadFromOffsetItem.call(this, item);
    if (this.allData || this.indexItems.length === 0) return;
    const blocks = this.indexItems;
    const held =
      this.pstFile.pstFileType === VERSION_4K
        ? blocks.length * MAX_INFLATED_BLOCK
        : blocks.reduce((n, b) => n + b.size, 0);
    const said = this._length.toNumber();
    if (said > held)
      throw new Error(
        `a node says it holds ${said.toLocaleString("en-US")} bytes, its ${blocks.length} blocks hold ${held.toLocaleString("en-US")}`,
      );
  };

  proto.detectZlib = function guardedDetectZlib(this: NodeStream) {
    if (this.pstFile.pstFileType !== VERSION_4K || this.length.lt(4)) return;
    if (!(this.read() === 0x78 && this.read() === 0x9c)) {
      this.seek(Long.ZERO);
      return;
    }
    const bound = (blocks: number) => ({ maxOutputLength: MAX_INFLATED_BLOCK * Math.max(1, blocks) });
    let out: Buffer;
    let separately = false;
    if (this.indexItems.length > 1) {
      const second = this.indexItems[1];
      this.pstFile.seek(second.fileOffset);
      separately = this.pstFile.read() === 0x78 && this.pstFile.read() === 0x9c;
    }
    if (separately) {
      // Each block a zlib stream of its own.
      const parts: Buffer[] = [];
      for (const b of this.indexItems) {
        const data = Buffer.alloc(b.size);
        this.pstFile.seek(b.fileOffset);
        this.pstFile.readCompletely(data);
        parts.push(unzipSync(data, bound(1)));
      }
      out = Buffer.concat(parts);
      this.indexItems = [];
      this.skipPoints = [];
    } else {
      const size = this.indexItems.length
        ? this.indexItems.reduce((n, b) => n + b.size, 0)
        : this.length.toNumber();
      const data = Buffer.alloc(size);
      this.seek(Long.ZERO);
      this.readCompletely(data);
      out = unzipSync(data, bound(this.indexItems.length));
    }
    this.allData = out;
    this.currentLocation = Long.ZERO;
    this.currentBlock = 0;
    this._length = Long.fromNumber(out.length);
    this.seek(Long.ZERO);
  };

  cacheReads(fileProto);
  // A node's subnodes: an SLBLOCK, or an SIBLOCK listing SLBLOCKs ([MS-PST] 2.2.2.8.3.3.2: its cLevel is 1), no
  // deeper. pst-extractor read any SIBLOCK's entries as further lists, to any depth.
  const getDescriptorItems = fileProto.getPSTDescriptorItems;
  const listDepth = new WeakMap<PstFileIo, number>();
  fileProto.getPSTDescriptorItems = function boundedDescriptorItems(this: PstFileIo, arg: unknown) {
    const depth = listDepth.get(this) ?? 0;
    if (depth >= 2) throw new Error("a list of subnode lists (SIBLOCK) lists another");
    listDepth.set(this, depth + 1);
    try {
      return getDescriptorItems.call(this, arg);
    } finally {
      listDepth.set(this, depth);
    }
  };
  const findBtreeItem = fileProto.findBtreeItem;
  fileProto.findBtreeItem = function boundedFindBtreeItem(this: PstFileIo, index: Long, descTree: boolean) {
    const format = pstFormatOfVersion(this.pstFileType);
    if (!format) return findBtreeItem.call(this, index, descTree);
    return findBtreeEntry(this, PST_LAYOUTS[format], index.toNumber(), descTree);
  };
  // The original's result, bit for bit: a signed Long of the little-endian bytes (four in ANSI files, else eight;
  // those past the end of the file read as zero).
  const offsetBytes = Buffer.alloc(8);
  fileProto.extractLEFileOffset = function extractLEFileOffset(this: PstFileIo, at: Long) {
    const ansi = this.pstFileType === PST_ANSI;
    const b = ansi ? offsetBytes.subarray(0, 4) : offsetBytes;
    b.fill(0);
    this.seek(at);
    this.readCompletely(b);
    return Long.fromBits(b.readInt32LE(0), ansi ? 0 : b.readInt32LE(4));
  };
  loaded = mod;
  return mod;
}

interface PstFileIo {
  pstFD: number;
  readonly pstFileType: number;
  seek(at: Long): void;
  readCompletely(buffer: Buffer): void;
  readSync(buffer: Buffer, length: number, position: number): number;
  extractLEFileOffset(at: Long): Long;
  findBtreeItem(index: Long, descTree: boolean): Buffer;
  getPSTDescriptorItems(arg: unknown): unknown;
}

/** Buffers a lookup reads into (lookups run one at a time, and the entry found is returned as a copy). */
const scratch = { root: Buffer.alloc(8), small: Buffer.alloc(512), large: Buffer.alloc(4096) };

/**
 * pst-extractor's findBtreeItem, with its result: the leaf entry of `id` in the node tree
 * (`descTree`) or the block tree, as the bytes of the entry. Each level's child is the last entry whose key is at
 * most `id`; an id below a page's first key is not in the tree. pst-extractor instead took the entry before the
 * first (the 8 bytes in front of the page, anything at all: a page could lead to itself, and a lookup never ended),
 * and in ANSI files compared keys as decimal strings. Ends after 16 levels whatever the file says.
 */
function findBtreeEntry(file: PstFileIo, L: PstLayout, id: number, descTree: boolean): Buffer {
  const missing = () =>
    new Error(`${descTree ? "node" : "block"} ${id} is not in the ${descTree ? "node" : "block"} B-tree`);
  const root = scratch.root;
  root.fill(0);
  if (file.readSync(root, L.width, descTree ? L.nbtRootAt : L.bbtRootAt) < L.width) throw missing();
  let at = readPstNumber(root, 0, L.width);
  const ptype = descTree ? 0x81 : 0x80;
  const page = L.size === 512 ? scratch.small : scratch.large;
  for (let depth = 0; depth < 16; depth++) {
    if (!Number.isSafeInteger(at) || file.readSync(page, L.size, at) < L.size) break;
    if (page[L.ptypeAt] !== ptype || page[L.ptypeAt + 1] !== ptype) break;
    const stated = L.countBytes === 2 ? page.readUInt16LE(L.area) : page[L.area];
    if (page[L.levelAt] > 0) {
      const count = Math.min(stated, Math.floor(L.area / L.btEntry));
      let child = count - 1;
      for (let x = 0; x < count; x++)
        if (readPstNumber(page, x * L.btEntry, L.width) > id) {
          child = x - 1;
          break;
        }
      if (child < 0) break;
      at = readPstNumber(page, child * L.btEntry + 2 * L.width, L.width);
      continue;
    }
    // Leaves: a node-tree entry starts with its NID (4 bytes, in an 8-byte field outside ANSI files); a
    // block-tree entry with its BID.
    const size = descTree ? L.nbtLeaf : L.bbtLeaf;
    const keyWidth = descTree ? 4 : L.width;
    const count = Math.min(stated, Math.floor(L.area / size));
    for (let x = 0; x < count; x++)
      if (readPstNumber(page, x * size, keyWidth) === id)
        return Buffer.from(page.subarray(x * size, x * size + size));
    throw missing();
  }
  throw missing();
}

/** Reads of this size or more go to the file directly; smaller ones come from a stretch of CHUNK bytes. */
const CHUNK = 64 * 1024;
/** Stretches kept per open file: a B-tree walk and the node it leads to are usually a few stretches apart. */
const CHUNKS_KEPT = 8;

/** Copies of up to this many bytes are done in a loop: cheaper than a native call for the few bytes of an entry. */
const SMALL_COPY = 32;

/** The stretches of one open file, most recently used last, and the last one used. */
interface Stretches {
  kept: Map<number, Buffer>;
  lastAt: number;
  last: Buffer | undefined;
}

function cacheReads(proto: PstFileIo): void {
  const direct = proto.readSync;
  const cache = new WeakMap<PstFileIo, Stretches>();
  const stretch = (file: PstFileIo, at: number): Buffer => {
    let s = cache.get(file);
    if (!s) {
      s = { kept: new Map(), lastAt: -1, last: undefined };
      cache.set(file, s);
    }
    if (s.lastAt === at && s.last) return s.last;
    let b = s.kept.get(at);
    if (b) {
      // Most recently used last: a Map keeps insertion order.
      s.kept.delete(at);
    } else {
      const buf = Buffer.allocUnsafeSlow(CHUNK);
      b = buf.subarray(0, direct.call(file, buf, CHUNK, at));
      if (s.kept.size >= CHUNKS_KEPT) s.kept.delete(s.kept.keys().next().value as number);
    }
    s.kept.set(at, b);
    s.lastAt = at;
    s.last = b;
    return b;
  };
  proto.readSync = function cachedReadSync(
    this: PstFileIo,
    buffer: Buffer,
    length: number,
    position: number,
  ) {
    // A file opened from a Buffer (pstFD 0) is read from memory already.
    if (!(this.pstFD > 0) || length >= CHUNK) return direct.call(this, buffer, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      const base = at - (at % CHUNK);
      const b = stretch(this, base);
      const from = at - base;
      if (from >= b.length) break; // the end of the file
      const n = Math.min(length - done, b.length - from);
      if (n <= SMALL_COPY) for (let i = 0; i < n; i++) buffer[done + i] = b[from + i];
      else b.copy(buffer, done, from, from + n);
      done += n;
    }
    return done;
  };
}
