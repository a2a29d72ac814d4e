/**
 * pst-extractor, loaded on first use, with three guards added where a damaged or hostile PST could make it spin
 * or take memory out of all proportion to the file. Each patch replaces one method of its node stream (the class
 * every read of a node's data goes through) and keeps its contract; a refusal is an Error, which io/outlook.ts
 * reports as that item (or that file) being damaged.
 *
 * - readCompletely: it looped until a buffer was full, and a node whose blocks hold less than its length says made
 *   each read return nothing, for ever. A read that makes no progress now ends it.
 * - loadFromOffsetItem: a node made of several blocks (an XBLOCK) states its length in four bytes, and every reader
 *   allocates that much before reading. A length beyond what the node's blocks can hold is refused first, with
 *   the reason (a node of 20 KB said to hold 900 MB was allocated in full, and its read then failed with
 *   "Cannot read properties of undefined").
 * - detectZlib: it inflated any node whose data began with the bytes 78 9C, in every kind of file. [MS-PST] has no
 *   compression: only the version-36 files of Outlook 2013 and later compress blocks, each to at most 65,535
 *   bytes (libpff: the block trailer holds that size in two bytes). In ANSI and Unicode files such data is now
 *   read as stored (an attachment of 200 KB that began 78 9C was inflated to 200 MB, and the run took 1.9 GB); in
 *   version-36 files each block may inflate to its bound, no more.
 */
import { createRequire } from "node:module";
import { unzipSync } from "node:zlib";

type PstModule = typeof import("pst-extractor");

const require = createRequire(import.meta.url);

/** wVer of the files with 4 KB pages and compressed blocks (pst-extractor's PST_TYPE_2013_UNICODE). */
const VERSION_4K = 36;
/** The most a compressed block of a version-36 file inflates to. */
export const MAX_INFLATED_BLOCK = 0xffff;

/** The parts of pst-extractor's Long (the `long` package) the guards use. */
interface Long {
  toNumber(): number;
  lt(n: number): boolean;
}
interface LongClass {
  ZERO: Long;
  fromNumber(n: number): Long;
}
interface OffsetItem {
  fileOffset: Long;
  size: number;
}
interface NodeStream {
  pstFile: { pstFileType: number; seek(at: Long): void; read(): number; readCompletely(b: Buffer): void };
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
  readCompletely(target: Buffer): void;
  loadFromOffsetItem(item: OffsetItem): void;
  detectZlib(): void;
}

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

  proto.readCompletely = function readCompletely(this: NodeStream, target: Buffer) {
    let off = 0;
    while (off < target.length) {
      const n = this.readFromOffset(target, off, target.length - off);
      if (!(n > 0)) throw new Error("unexpected end of a node's data");
      off += n;
    }
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

  loaded = mod;
  return mod;
}
