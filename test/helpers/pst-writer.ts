/**
 * Test-only writer of Outlook data files (Unicode PST, and on request ANSI PST, [MS-PST]), small but whole: no PST
 * writer exists in any package here, and the Outlook input of verify needs real files to read. An ANSI file has
 * the same layers with 4-byte BIDs, NIDs and offsets, 12-byte trailers, the 512-byte ANSI header and 8-bit
 * strings (PT_STRING8).
 *
 * What it writes, layer by layer:
 * - NDB: the 564-byte Unicode HEADER (wVer 23, CRCs over 471 and 516 bytes, ROOT with ibFileEof and the BREFs
 *   of both B-trees; NDB_CRYPT_NONE, or on request NDB_CRYPT_PERMUTE as Outlook writes by default); the first
 *   AMap page at 0x4400 (its bits mark every allocated 64-byte slot) and the PMap page after it; the node B-tree (NBT) and block B-tree (BBT) as 512-byte pages
 *   (leaf and intermediate levels as needed, PAGETRAILERs with signature and CRC); data blocks with their
 *   BLOCKTRAILERs (cb, signature, CRC, BID), 64-byte aligned; XBLOCKs for data over 8,176 bytes; SLBLOCKs for
 *   subnodes (attachments, tables, large values).
 * - LTP: heap-on-node (HN) in one block each (HNHDR, allocations, HNPAGEMAP); BTH (BTHHEADER and leaf
 *   records); property contexts (PC) and table contexts (TC: TCINFO, TCOLDESCs, row index, row matrix with
 *   cell-existence bitmaps). Values over 3,580 bytes go in subnodes, as Outlook puts them.
 * - Messaging: the message store (NID 0x21, with the IPM subtree, Deleted Items and finder entry ids), the
 *   name-to-id map (0x61), the root folder (0x122) holding "Top of Outlook data file" (the IPM subtree) and
 *   "Search Root"; under the subtree "Deleted Items" and the folders given (nested as given), each with its
 *   hierarchy, contents and associated-contents tables; messages (PC) with a recipient table and an
 *   attachment table, and one attachment object (PC, subnode) per attachment with PR_ATTACH_DATA_BIN.
 * Not written: the table templates and search nodes Outlook adds (no reader needs them), the density list.
 */
import {
  attachmentProps,
  messageProps,
  PID,
  type PropList,
  type PropValue,
  PT,
  recipientProps,
  type TestItem,
  utf16,
} from "./outlook-msg.js";

export interface PstFolderSpec {
  name: string;
  items: TestItem[];
  folders?: PstFolderSpec[];
}

// ---- CRC and signatures ([MS-PST] 5.3, 5.5) ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** [MS-PST] ComputeCRC with dwCRC = 0: the reflected CRC-32 table, no pre- or post-inversion. */
export function pstCrc(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) crc = (CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8)) >>> 0;
  return crc >>> 0;
}

/** ComputeSig(ib, bid): the low 32 bits of ib ^ bid, folded to 16. */
function sig(ib: number, bid: bigint): number {
  const x = (BigInt(ib) ^ bid) & 0xffffffffn;
  const v = Number(x);
  return ((v >>> 16) ^ (v & 0xffff)) & 0xffff;
}

// ---- NDB_CRYPT_PERMUTE ("compressible encryption", [MS-PST] 5.1): Outlook's default for new PSTs ----

/** mpbbI: the byte substitution a reader applies to decode (the last 256 bytes of mpbbCrypt). */
const PERMUTE_DECODE = [
  0x47, 0xf1, 0xb4, 0xe6, 0x0b, 0x6a, 0x72, 0x48, 0x85, 0x4e, 0x9e, 0xeb, 0xe2, 0xf8, 0x94, 0x53, 0xe0, 0xbb,
  0xa0, 0x02, 0xe8, 0x5a, 0x09, 0xab, 0xdb, 0xe3, 0xba, 0xc6, 0x7c, 0xc3, 0x10, 0xdd, 0x39, 0x05, 0x96, 0x30,
  0xf5, 0x37, 0x60, 0x82, 0x8c, 0xc9, 0x13, 0x4a, 0x6b, 0x1d, 0xf3, 0xfb, 0x8f, 0x26, 0x97, 0xca, 0x91, 0x17,
  0x01, 0xc4, 0x32, 0x2d, 0x6e, 0x31, 0x95, 0xff, 0xd9, 0x23, 0xd1, 0x00, 0x5e, 0x79, 0xdc, 0x44, 0x3b, 0x1a,
  0x28, 0xc5, 0x61, 0x57, 0x20, 0x90, 0x3d, 0x83, 0xb9, 0x43, 0xbe, 0x67, 0xd2, 0x46, 0x42, 0x76, 0xc0, 0x6d,
  0x5b, 0x7e, 0xb2, 0x0f, 0x16, 0x29, 0x3c, 0xa9, 0x03, 0x54, 0x0d, 0xda, 0x5d, 0xdf, 0xf6, 0xb7, 0xc7, 0x62,
  0xcd, 0x8d, 0x06, 0xd3, 0x69, 0x5c, 0x86, 0xd6, 0x14, 0xf7, 0xa5, 0x66, 0x75, 0xac, 0xb1, 0xe9, 0x45, 0x21,
  0x70, 0x0c, 0x87, 0x9f, 0x74, 0xa4, 0x22, 0x4c, 0x6f, 0xbf, 0x1f, 0x56, 0xaa, 0x2e, 0xb3, 0x78, 0x33, 0x50,
  0xb0, 0xa3, 0x92, 0xbc, 0xcf, 0x19, 0x1c, 0xa7, 0x63, 0xcb, 0x1e, 0x4d, 0x3e, 0x4b, 0x1b, 0x9b, 0x4f, 0xe7,
  0xf0, 0xee, 0xad, 0x3a, 0xb5, 0x59, 0x04, 0xea, 0x40, 0x55, 0x25, 0x51, 0xe5, 0x7a, 0x89, 0x38, 0x68, 0x52,
  0x7b, 0xfc, 0x27, 0xae, 0xd7, 0xbd, 0xfa, 0x07, 0xf4, 0xcc, 0x8e, 0x5f, 0xef, 0x35, 0x9c, 0x84, 0x2b, 0x15,
  0xd5, 0x77, 0x34, 0x49, 0xb6, 0x12, 0x0a, 0x7f, 0x71, 0x88, 0xfd, 0x9d, 0x18, 0x41, 0x7d, 0x93, 0xd8, 0x58,
  0x2c, 0xce, 0xfe, 0x24, 0xaf, 0xde, 0xb8, 0x36, 0xc8, 0xa1, 0x80, 0xa6, 0x99, 0x98, 0xa8, 0x2f, 0x0e, 0x81,
  0x65, 0x73, 0xe4, 0xc2, 0xa2, 0x8a, 0xd4, 0xe1, 0x11, 0xd0, 0x08, 0x8b, 0x2a, 0xf2, 0xed, 0x9a, 0x64, 0x3f,
  0xc1, 0x6c, 0xf9, 0xec,
];
const PERMUTE_ENCODE = (() => {
  const t = new Uint8Array(256);
  PERMUTE_DECODE.forEach((d, i) => {
    t[d] = i;
  });
  return t;
})();

// ---- Heap on node, BTH, PC, TC ([MS-PST] 2.3) ----

const MAX_HEAP_VALUE = 3580;
const BLOCK_DATA_MAX = 8176;

interface SubNode {
  nid: number;
  data: Uint8Array;
  sub: SubNode[];
}

class Heap {
  readonly allocs: Uint8Array[] = [];
  /** Reserves an allocation (content set later); its HID. */
  reserve(): number {
    this.allocs.push(new Uint8Array(0));
    return this.allocs.length << 5;
  }
  set(hid: number, bytes: Uint8Array) {
    this.allocs[(hid >>> 5) - 1] = bytes;
  }
  alloc(bytes: Uint8Array): number {
    const hid = this.reserve();
    this.set(hid, bytes);
    return hid;
  }
  /** The one block of the heap: HNHDR, allocations, then the HNPAGEMAP (2-byte aligned). */
  build(clientSig: number, hidUserRoot: number): Uint8Array {
    const offsets: number[] = [];
    let off = 12;
    for (const a of this.allocs) {
      offsets.push(off);
      off += a.length;
    }
    offsets.push(off);
    const ibHnpm = off + (off % 2);
    const size = ibHnpm + 4 + 2 * offsets.length;
    if (size > BLOCK_DATA_MAX) throw new Error(`heap of ${size} bytes does not fit one block`);
    const b = Buffer.alloc(size);
    b.writeUInt16LE(ibHnpm, 0);
    b[2] = 0xec;
    b[3] = clientSig;
    b.writeUInt32LE(hidUserRoot, 4);
    // rgbFillLevel: 0 (FILL_LEVEL_EMPTY, "more than 3584 bytes free") for the one block; left 0.
    let p = 12;
    for (const a of this.allocs) {
      b.set(a, p);
      p += a.length;
    }
    b.writeUInt16LE(this.allocs.length, ibHnpm);
    b.writeUInt16LE(0, ibHnpm + 2);
    offsets.forEach((o, i) => {
      b.writeUInt16LE(o, ibHnpm + 4 + 2 * i);
    });
    return b;
  }
}

function bthHeader(cbKey: number, cbEnt: number, hidRoot: number): Uint8Array {
  const b = Buffer.alloc(8);
  b[0] = 0xb5;
  b[1] = cbKey;
  b[2] = cbEnt;
  b[3] = 0; // bIdxLevels: the records are the leaf level
  b.writeUInt32LE(hidRoot, 4);
  return b;
}

/** PT_STRING8: an 8-bit string in the file's code page, as ANSI files store every string. */
const PT_STRING8 = 0x001e;

/** The type a property is written with: strings are PT_STRING8 in ANSI files. */
const typeIn = (type: number, ansi: boolean) => (ansi && type === PT.UNICODE ? PT_STRING8 : type);

/**
 * The bytes a variable-size property stores, without a terminator: strings as UTF-16LE, or in ANSI files as 8-bit
 * text (Latin-1 here: the test strings are ASCII).
 */
function varBytes(v: PropValue, ansi: boolean): Uint8Array {
  if (v.type === PT.UNICODE) return ansi ? Buffer.from(v.value, "latin1") : utf16(v.value);
  if (v.type === PT.BINARY) return v.value;
  throw new Error("not variable-size");
}

/** Hands out the file's NIDs; `ansi` says how the file's strings are written (see typeIn). */
class NidAlloc {
  constructor(readonly ansi = false) {}
  private next = 0x400;
  /** A NID of a type (its low 5 bits), unique in the file (or in the node's subnodes). */
  take(type: number): number {
    return ((this.next++ << 5) | type) >>> 0;
  }
}

/** A value for a heap: in the heap when small, else in a subnode (its NID is the HNID). */
function storeValue(heap: Heap, bytes: Uint8Array, subs: SubNode[], ids: NidAlloc): number {
  if (bytes.length <= MAX_HEAP_VALUE) return heap.alloc(bytes);
  const nid = ids.take(0x1f); // NID_TYPE_LTP
  subs.push({ nid, data: bytes, sub: [] });
  return nid;
}

/** A property context: HN (bClientSig 0xBC) holding a BTH of 2-byte property ids to 6-byte records. */
function propertyContext(props: PropList, ids: NidAlloc): { data: Uint8Array; sub: SubNode[] } {
  const heap = new Heap();
  const sub: SubNode[] = [];
  const header = heap.reserve(); // 0x20, the hidUserRoot
  const records = heap.reserve();
  const sorted = [...props].sort((a, b) => a[0] - b[0]);
  const rec = Buffer.alloc(8 * sorted.length);
  sorted.forEach(([id, v], i) => {
    const o = 8 * i;
    rec.writeUInt16LE(id, o);
    rec.writeUInt16LE(typeIn(v.type, ids.ansi), o + 2);
    if (v.type === PT.LONG) rec.writeInt32LE(v.value, o + 4);
    else if (v.type === PT.BOOLEAN) rec.writeUInt32LE(v.value ? 1 : 0, o + 4);
    else rec.writeUInt32LE(storeValue(heap, varBytes(v, ids.ansi), sub, ids), o + 4);
  });
  heap.set(records, rec);
  heap.set(header, bthHeader(2, 6, records));
  return { data: heap.build(0xbc, header), sub };
}

interface Column {
  id: number;
  type: number;
}

const ROW_ID = 0x67f2;
const ROW_VER = 0x67f3;

function cellSize(type: number): number {
  if (type === PT.BOOLEAN) return 1;
  if (type === 0x0002) return 2; // PT_SHORT
  if (type === PT.SYSTIME || type === 0x0014) return 8;
  return 4; // PT_LONG, and the HNID of a variable-size value
}

/**
 * A table context: HN (bClientSig 0x7C) with the row index BTH header first (HID 0x20, as readers expect),
 * the TCINFO (hidUserRoot), the row index records, the row matrix, then the variable-size values.
 */
function tableContext(
  columns: Column[],
  rows: { rowId: number; values: Map<number, PropValue> }[],
  ids: NidAlloc,
): { data: Uint8Array; sub: SubNode[] } {
  const heap = new Heap();
  const sub: SubNode[] = [];
  const bth = heap.reserve(); // 0x20
  const info = heap.reserve();
  const cols: (Column & { ib: number; cb: number; iBit: number })[] = [];
  const all = [{ id: ROW_ID, type: PT.LONG }, { id: ROW_VER, type: PT.LONG }, ...columns];
  all.forEach((c, i) => {
    cols.push({ ...c, type: typeIn(c.type, ids.ansi), ib: 0, cb: cellSize(c.type), iBit: i });
  });
  // Row layout: RowId, RowVer, then 8- and 4-byte cells, then 2-byte, then 1-byte, then the CEB.
  let ib = 0;
  for (const c of cols.filter((x) => x.cb >= 4)) {
    c.ib = ib;
    ib += c.cb;
  }
  const end4 = ib;
  for (const c of cols.filter((x) => x.cb === 2)) {
    c.ib = ib;
    ib += 2;
  }
  const end2 = ib;
  for (const c of cols.filter((x) => x.cb === 1)) {
    c.ib = ib;
    ib += 1;
  }
  const end1 = ib;
  const rowSize = end1 + Math.ceil(cols.length / 8);
  let idxRecords = 0;
  let hnidRows = 0;
  if (rows.length) {
    const idx = Buffer.alloc(8 * rows.length);
    [...rows]
      .map((r, i) => [r.rowId >>> 0, i] as const)
      .sort((a, b) => a[0] - b[0])
      .forEach(([id, i], n) => {
        idx.writeUInt32LE(id, 8 * n);
        idx.writeUInt32LE(i, 8 * n + 4);
      });
    idxRecords = heap.alloc(idx);
    const rowsHid = heap.reserve();
    const matrix = Buffer.alloc(rowSize * rows.length);
    rows.forEach((r, n) => {
      const base = rowSize * n;
      const values = new Map(r.values);
      values.set(ROW_ID, { type: PT.LONG, value: r.rowId | 0 });
      values.set(ROW_VER, { type: PT.LONG, value: 0 });
      for (const c of cols) {
        const v = values.get(c.id);
        if (!v || typeIn(v.type, ids.ansi) !== c.type) continue;
        if (v.type === PT.LONG) matrix.writeInt32LE(v.value, base + c.ib);
        else if (v.type === PT.BOOLEAN) matrix[base + c.ib] = v.value ? 1 : 0;
        else matrix.writeUInt32LE(storeValue(heap, varBytes(v, ids.ansi), sub, ids), base + c.ib);
        matrix[base + end1 + (c.iBit >> 3)] |= 0x80 >> (c.iBit & 7);
      }
    });
    if (matrix.length <= MAX_HEAP_VALUE) {
      heap.set(rowsHid, matrix);
      hnidRows = rowsHid;
    } else {
      // Rows in a subnode (a block holds whole rows only; these tables stay within one block).
      if (matrix.length > BLOCK_DATA_MAX) throw new Error("row matrix over one block");
      heap.set(rowsHid, new Uint8Array(0));
      hnidRows = ids.take(0x1f);
      sub.push({ nid: hnidRows, data: matrix, sub: [] });
    }
  }
  heap.set(bth, bthHeader(4, 4, idxRecords));
  const tagOf = (c: Column) => ((c.id << 16) | c.type) >>> 0;
  const sortedCols = [...cols].sort((a, b) => tagOf(a) - tagOf(b));
  const ti = Buffer.alloc(22 + 8 * cols.length);
  ti[0] = 0x7c;
  ti[1] = cols.length;
  ti.writeUInt16LE(end4, 2);
  ti.writeUInt16LE(end2, 4);
  ti.writeUInt16LE(end1, 6);
  ti.writeUInt16LE(rowSize, 8);
  ti.writeUInt32LE(bth, 10); // hidRowIndex: the row index BTH (its header; no records when no rows)
  ti.writeUInt32LE(hnidRows, 14);
  ti.writeUInt32LE(0, 18); // hidIndex (deprecated)
  sortedCols.forEach((c, i) => {
    const o = 22 + 8 * i;
    ti.writeUInt32LE(((c.id << 16) | c.type) >>> 0, o);
    ti.writeUInt16LE(c.ib, o + 4);
    ti[o + 6] = c.cb;
    ti[o + 7] = c.iBit;
  });
  heap.set(info, ti);
  return { data: heap.build(0x7c, info), sub };
}

// ---- NDB: blocks, subnodes, B-tree pages, AMap, header ([MS-PST] 2.2) ----

interface Node {
  nid: number;
  parent: number;
  data: Uint8Array;
  sub: SubNode[];
}

interface Block {
  bid: bigint;
  bytes: Uint8Array;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;
const FIRST_AMAP = 0x4400;
const AMAP_COVERAGE = 496 * 8 * 64;

class Ndb {
  readonly blocks: Block[] = [];
  private nextB = 4n;

  /**
   * With NDB_CRYPT_PERMUTE, data blocks are stored encoded (internal blocks never are). ANSI files hold BIDs and
   * NIDs in 4 bytes, in XBLOCKs and SLBLOCKs too.
   */
  constructor(
    private readonly permute: boolean,
    private readonly ansi = false,
  ) {}

  private bid(internal: boolean): bigint {
    const b = this.nextB | (internal ? 2n : 0n);
    this.nextB += 4n;
    return b;
  }

  get bidNextB(): bigint {
    return this.nextB;
  }

  /** The data of a node or subnode: one data block, or an XBLOCK over data blocks of 8,176 bytes. */
  data(bytes: Uint8Array): bigint {
    if (bytes.length <= BLOCK_DATA_MAX) {
      const bid = this.bid(false);
      this.blocks.push({ bid, bytes: this.permute ? bytes.map((b) => PERMUTE_ENCODE[b]) : bytes });
      return bid;
    }
    const bids: bigint[] = [];
    for (let o = 0; o < bytes.length; o += BLOCK_DATA_MAX)
      bids.push(this.data(bytes.subarray(o, Math.min(bytes.length, o + BLOCK_DATA_MAX))));
    const w = this.ansi ? 4 : 8;
    if (8 + w * bids.length > BLOCK_DATA_MAX) throw new Error("data too large for one XBLOCK level");
    const x = Buffer.alloc(8 + w * bids.length);
    x[0] = 0x01; // btype XBLOCK
    x[1] = 0x01; // cLevel
    x.writeUInt16LE(bids.length, 2);
    x.writeUInt32LE(bytes.length, 4); // lcbTotal
    bids.forEach((b, i) => {
      if (this.ansi) x.writeUInt32LE(Number(b), 8 + 4 * i);
      else x.writeBigUInt64LE(b, 8 + 8 * i);
    });
    const bid = this.bid(true);
    this.blocks.push({ bid, bytes: x });
    return bid;
  }

  /** The subnodes of a node: an SLBLOCK (entries sorted by NID), each entry with its own subnodes. */
  subnodes(subs: SubNode[]): bigint {
    if (subs.length === 0) return 0n;
    const sorted = [...subs].sort((a, b) => a.nid - b.nid);
    // SLENTRYs (nid, bidData, bidSub) after a 4-byte header; Unicode pads the header to 8 and widens each to 8 bytes.
    const [head, w] = this.ansi ? [4, 4] : [8, 8];
    if (head + 3 * w * sorted.length > BLOCK_DATA_MAX) throw new Error("too many subnodes for one SLBLOCK");
    const entries = sorted.map((s) => ({ nid: s.nid, data: this.data(s.data), sub: this.subnodes(s.sub) }));
    const b = Buffer.alloc(head + 3 * w * entries.length);
    b[0] = 0x02; // btype SLBLOCK
    b[1] = 0x00; // cLevel
    b.writeUInt16LE(entries.length, 2);
    entries.forEach((e, i) => {
      const o = head + 3 * w * i;
      if (this.ansi) {
        b.writeUInt32LE(e.nid, o);
        b.writeUInt32LE(Number(e.data), o + 4);
        b.writeUInt32LE(Number(e.sub), o + 8);
      } else {
        b.writeBigUInt64LE(BigInt(e.nid), o);
        b.writeBigUInt64LE(e.data, o + 8);
        b.writeBigUInt64LE(e.sub, o + 16);
      }
    });
    const bid = this.bid(true);
    this.blocks.push({ bid, bytes: b });
    return bid;
  }
}

interface BtEntry {
  key: bigint;
  /** The entry's bytes at its level (leaf entries: NBTENTRY or BBTENTRY). */
  bytes: Uint8Array;
}

/**
 * Builds a file from nodes: blocks first, then the BBT and NBT pages, then the AMap, PMap and header. `ansi`: the
 * layout of Outlook 97-2002 files ([MS-PST] "ANSI"): 4-byte BIDs, NIDs and offsets, 12-byte block and page
 * trailers (BID before CRC), pages with 496 bytes of entries, a 512-byte header.
 */
function writeFile(
  nodes: Node[],
  nextNid: number,
  permute: boolean,
  onlyFirstAMap = false,
  ansi = false,
): Buffer {
  const ndb = new Ndb(permute, ansi);
  const nbt: { nid: number; data: bigint; sub: bigint; parent: number }[] = [];
  for (const n of nodes)
    nbt.push({ nid: n.nid, data: ndb.data(n.data), sub: ndb.subnodes(n.sub), parent: n.parent });

  // Blocks, 64-byte aligned, each with its BLOCKTRAILER in its last bytes: cb, wSig, then dwCRC and bid (Unicode,
  // 16 bytes) or bid and dwCRC (ANSI, 12 bytes).
  const trailerSize = ansi ? 12 : 16;
  const chunks: { ib: number; bytes: Uint8Array }[] = [];
  const bbt: { bid: bigint; ib: number; cb: number }[] = [];
  let ib = FIRST_AMAP + 1024; // after the first AMap and PMap pages
  for (const b of ndb.blocks) {
    const size = align(b.bytes.length + trailerSize, 64);
    const out = Buffer.alloc(size);
    out.set(b.bytes, 0);
    const t = size - trailerSize;
    out.writeUInt16LE(b.bytes.length, t);
    out.writeUInt16LE(sig(ib, b.bid), t + 2);
    if (ansi) {
      out.writeUInt32LE(Number(b.bid), t + 4);
      out.writeUInt32LE(pstCrc(b.bytes), t + 8);
    } else {
      out.writeUInt32LE(pstCrc(b.bytes), t + 4);
      out.writeBigUInt64LE(b.bid, t + 8);
    }
    chunks.push({ ib, bytes: out });
    bbt.push({ bid: b.bid, ib, cb: b.bytes.length });
    ib += size;
  }
  ib = align(ib, 512);

  // A PAGETRAILER: ptype twice and wSig, then dwCRC of the bytes before it and the page's BID (Unicode, at 496), or
  // the BID and then dwCRC (ANSI, at 500).
  const pageTrailer = (p: Buffer, ptype: number, wSig: number, bid: bigint) => {
    const at = ansi ? 500 : 496;
    p[at] = ptype;
    p[at + 1] = ptype;
    p.writeUInt16LE(wSig, at + 2);
    if (ansi) {
      p.writeUInt32LE(Number(bid), at + 4);
      p.writeUInt32LE(pstCrc(p.subarray(0, at)), at + 8);
    } else {
      p.writeUInt32LE(pstCrc(p.subarray(0, at)), at + 4);
      p.writeBigUInt64LE(bid, at + 8);
    }
  };

  // B-tree pages (512 bytes each): leaf entries, then intermediate levels of BTENTRYs until one root page. The
  // counts (cEnt, cEntMax, cbEnt, cLevel) follow the entries: at 488 (Unicode) or 496 (ANSI).
  const area = ansi ? 496 : 488;
  const btEntry = ansi ? 12 : 24;
  const btMax = Math.floor(area / btEntry);
  let nextP = 0x10000n;
  const page = (ptype: number, entries: Uint8Array[], cbEnt: number, cEntMax: number, level: number) => {
    const bid = nextP;
    nextP += 4n;
    const at = ib;
    ib += 512;
    const p = Buffer.alloc(512);
    entries.forEach((e, i) => {
      p.set(e, i * cbEnt);
    });
    p[area] = entries.length;
    p[area + 1] = cEntMax;
    p[area + 2] = cbEnt;
    p[area + 3] = level;
    pageTrailer(p, ptype, sig(at, bid), bid);
    chunks.push({ ib: at, bytes: p });
    return { bid, ib: at };
  };
  const tree = (ptype: number, leaves: BtEntry[], cbEnt: number) => {
    const cEntMax = Math.floor(area / cbEnt);
    let level: { key: bigint; bid: bigint; ib: number }[] = [];
    for (let i = 0; i < leaves.length || i === 0; i += cEntMax) {
      const part = leaves.slice(i, i + cEntMax);
      const r = page(
        ptype,
        part.map((e) => e.bytes),
        cbEnt,
        cEntMax,
        0,
      );
      level.push({ key: part[0]?.key ?? 0n, ...r });
    }
    let depth = 0;
    while (level.length > 1) {
      depth++;
      const up: typeof level = [];
      for (let i = 0; i < level.length; i += btMax) {
        const part = level.slice(i, i + btMax);
        const r = page(
          ptype,
          part.map((c) => {
            const e = Buffer.alloc(btEntry);
            if (ansi) {
              e.writeUInt32LE(Number(c.key), 0);
              e.writeUInt32LE(Number(c.bid), 4);
              e.writeUInt32LE(c.ib, 8);
            } else {
              e.writeBigUInt64LE(c.key, 0);
              e.writeBigUInt64LE(c.bid, 8);
              e.writeBigUInt64LE(BigInt(c.ib), 16);
            }
            return e;
          }),
          btEntry,
          btMax,
          depth,
        );
        up.push({ key: part[0].key, ...r });
      }
      level = up;
    }
    return level[0];
  };
  // NBTENTRY: nid, bidData, bidSub, nidParent (ANSI 4 bytes each; Unicode 8, 8, 8, 4 and padding).
  const nbtLeaves: BtEntry[] = nbt
    .sort((a, b) => a.nid - b.nid)
    .map((n) => {
      const e = Buffer.alloc(ansi ? 16 : 32);
      if (ansi) {
        e.writeUInt32LE(n.nid, 0);
        e.writeUInt32LE(Number(n.data), 4);
        e.writeUInt32LE(Number(n.sub), 8);
        e.writeUInt32LE(n.parent, 12);
      } else {
        e.writeBigUInt64LE(BigInt(n.nid), 0);
        e.writeBigUInt64LE(n.data, 8);
        e.writeBigUInt64LE(n.sub, 16);
        e.writeUInt32LE(n.parent, 24);
      }
      return { key: BigInt(n.nid), bytes: e };
    });
  // BBTENTRY: the block's BREF (bid, ib), cb, cRef.
  const bbtLeaves: BtEntry[] = bbt
    .sort((a, b) => (a.bid < b.bid ? -1 : 1))
    .map((b) => {
      const e = Buffer.alloc(ansi ? 12 : 24);
      const w = ansi ? 4 : 8;
      if (ansi) {
        e.writeUInt32LE(Number(b.bid), 0);
        e.writeUInt32LE(b.ib, 4);
      } else {
        e.writeBigUInt64LE(b.bid, 0);
        e.writeBigUInt64LE(BigInt(b.ib), 8);
      }
      e.writeUInt16LE(b.cb, 2 * w);
      e.writeUInt16LE(2, 2 * w + 2); // cRef
      return { key: b.bid, bytes: e };
    });
  const nbtRoot = tree(0x81, nbtLeaves, ansi ? 16 : 32); // ptypeNBT
  const bbtRoot = tree(0x80, bbtLeaves, ansi ? 12 : 24); // ptypeBBT
  const eof = ib;
  if (eof > FIRST_AMAP + AMAP_COVERAGE && !onlyFirstAMap)
    throw new Error("test PST over the first AMap's 253,952 bytes");

  const file = Buffer.alloc(eof);
  for (const c of chunks) file.set(c.bytes, c.ib);

  // The first AMap (each bit = 64 bytes from 0x4400, most significant bit first; ANSI pages start with 4 bytes of
  // padding) and the PMap after it.
  const bits = ansi ? 4 : 0;
  const amap = file.subarray(FIRST_AMAP, FIRST_AMAP + 512);
  const mark = (from: number, size: number) => {
    for (let s = (from - FIRST_AMAP) / 64; s < (from - FIRST_AMAP + size) / 64; s++)
      amap[bits + (s >> 3)] |= 0x80 >> (s & 7);
  };
  mark(FIRST_AMAP, 1024);
  for (const c of chunks) if (c.ib + c.bytes.length <= FIRST_AMAP + AMAP_COVERAGE) mark(c.ib, c.bytes.length);
  let used = 0;
  for (let i = 0; i < 496; i++) for (let b = 0; b < 8; b++) if (amap[bits + i] & (0x80 >> b)) used += 64;
  pageTrailer(amap, 0x84, 0, BigInt(FIRST_AMAP));
  const pmap = file.subarray(FIRST_AMAP + 512, FIRST_AMAP + 1024);
  pmap.fill(0xff, bits, bits + 496);
  pageTrailer(pmap, 0x83, 0, BigInt(FIRST_AMAP + 512));

  // The HEADER ([MS-PST] 2.2.2.6): Unicode or ANSI.
  const h = file;
  h.write("!BDN", 0, "latin1");
  h.writeUInt16LE(0x4d53, 8); // wMagicClient "SM"
  h.writeUInt16LE(ansi ? 14 : 23, 10); // wVer: ANSI or Unicode
  h.writeUInt16LE(19, 12); // wVerClient
  h[14] = 0x01; // bPlatformCreate
  h[15] = 0x01; // bPlatformAccess
  if (ansi) {
    h.writeUInt32LE(Number(ndb.bidNextB), 24); // bidNextB
    h.writeUInt32LE(Number(nextP), 28); // bidNextP
    h.writeUInt32LE(1, 32); // dwUnique
    for (let t = 0; t < 32; t++) h.writeUInt32LE(nextNid, 36 + 4 * t); // rgnid
    // ROOT at 164
    h.writeUInt32LE(eof, 168); // ibFileEof
    h.writeUInt32LE(FIRST_AMAP, 172); // ibAMapLast
    h.writeUInt32LE(AMAP_COVERAGE - used, 176); // cbAMapFree
    h.writeUInt32LE(0, 180); // cbPMapFree
    h.writeUInt32LE(Number(nbtRoot.bid), 184);
    h.writeUInt32LE(nbtRoot.ib, 188);
    h.writeUInt32LE(Number(bbtRoot.bid), 192);
    h.writeUInt32LE(bbtRoot.ib, 196);
    h[200] = 0x02; // fAMapValid: VALID_AMAP2
    h.fill(0xff, 204, 460); // rgbFM, rgbFP (deprecated)
    h[460] = 0x80; // bSentinel
    h[461] = permute ? 0x01 : 0x00; // bCryptMethod
    h.writeUInt32LE(pstCrc(h.subarray(8, 8 + 471)), 4); // dwCRCPartial (an ANSI header has no dwCRCFull)
    return file;
  }
  h.writeBigUInt64LE(nextP, 32); // bidNextP
  h.writeUInt32LE(1, 40); // dwUnique
  for (let t = 0; t < 32; t++) h.writeUInt32LE(nextNid, 44 + 4 * t); // rgnid: next free NID index per type
  // ROOT
  h.writeBigUInt64LE(BigInt(eof), 184); // ibFileEof
  h.writeBigUInt64LE(BigInt(FIRST_AMAP), 192); // ibAMapLast
  h.writeBigUInt64LE(BigInt(AMAP_COVERAGE - used), 200); // cbAMapFree
  h.writeBigUInt64LE(0n, 208); // cbPMapFree
  h.writeBigUInt64LE(nbtRoot.bid, 216);
  h.writeBigUInt64LE(BigInt(nbtRoot.ib), 224);
  h.writeBigUInt64LE(bbtRoot.bid, 232);
  h.writeBigUInt64LE(BigInt(bbtRoot.ib), 240);
  h[248] = 0x02; // fAMapValid: VALID_AMAP2
  h.fill(0xff, 256, 512); // rgbFM, rgbFP (deprecated)
  h[512] = 0x80; // bSentinel
  h[513] = permute ? 0x01 : 0x00; // bCryptMethod: NDB_CRYPT_PERMUTE or NDB_CRYPT_NONE
  h.writeBigUInt64LE(ndb.bidNextB, 516); // bidNextB
  h.writeUInt32LE(pstCrc(h.subarray(8, 8 + 471)), 4); // dwCRCPartial
  h.writeUInt32LE(pstCrc(h.subarray(8, 8 + 516)), 524); // dwCRCFull
  return file;
}

// ---- Messaging: store, folders, messages ([MS-PST] 2.4) ----

const NID_MESSAGE_STORE = 0x21;
const NID_NAME_TO_ID_MAP = 0x61;
const NID_ROOT_FOLDER = 0x122;
const NID_ATTACHMENT_TABLE = 0x671;
const NID_RECIPIENT_TABLE = 0x692;
const TYPE = { folder: 0x02, message: 0x04, attachment: 0x05 };
const tableNid = (folder: number, type: number) => ((folder & ~0x1f) | type) >>> 0;

const str = (value: string): PropValue => ({ type: PT.UNICODE, value });
const long = (value: number): PropValue => ({ type: PT.LONG, value });
const bool = (value: boolean): PropValue => ({ type: PT.BOOLEAN, value });
const bin = (value: Uint8Array): PropValue => ({ type: PT.BINARY, value });

const FOLDER_COLUMNS: Column[] = [
  { id: 0x3001, type: PT.UNICODE }, // PidTagDisplayName
  { id: 0x3602, type: PT.LONG }, // PidTagContentCount
  { id: 0x3603, type: PT.LONG }, // PidTagContentUnreadCount
  { id: 0x360a, type: PT.BOOLEAN }, // PidTagSubfolders
  { id: 0x3613, type: PT.UNICODE }, // PidTagContainerClass
];
const CONTENTS_COLUMNS: Column[] = [
  { id: 0x0017, type: PT.LONG }, // PidTagImportance
  { id: PID.MESSAGE_CLASS, type: PT.UNICODE },
  { id: PID.SUBJECT, type: PT.UNICODE },
  { id: PID.SENT_REPRESENTING_NAME, type: PT.UNICODE },
  { id: PID.DISPLAY_TO, type: PT.UNICODE },
  { id: PID.MESSAGE_FLAGS, type: PT.LONG },
  { id: PID.MESSAGE_SIZE, type: PT.LONG },
];
const ASSOC_COLUMNS: Column[] = [{ id: PID.MESSAGE_CLASS, type: PT.UNICODE }];
const RECIPIENT_COLUMNS: Column[] = [
  { id: PID.RECIPIENT_TYPE, type: PT.LONG },
  { id: 0x0e0f, type: PT.BOOLEAN }, // PidTagResponsibility
  { id: 0x0ffe, type: PT.LONG }, // PidTagObjectType
  { id: PID.DISPLAY_NAME, type: PT.UNICODE },
  { id: PID.ADDRTYPE, type: PT.UNICODE },
  { id: PID.EMAIL_ADDRESS, type: PT.UNICODE },
  { id: 0x3900, type: PT.LONG }, // PidTagDisplayType
  { id: PID.SMTP_ADDRESS, type: PT.UNICODE },
];
const ATTACHMENT_COLUMNS: Column[] = [
  { id: PID.ATTACH_SIZE, type: PT.LONG },
  { id: PID.ATTACH_FILENAME, type: PT.UNICODE },
  { id: PID.ATTACH_METHOD, type: PT.LONG },
  { id: PID.RENDERING_POSITION, type: PT.LONG },
];

/**
 * The bytes of a PST holding the folders given (under "Top of Outlook data file"), each with its items in
 * order. `displayName` names the store.
 */
export function pstFile(
  folders: PstFolderSpec[],
  opts: {
    displayName?: string;
    /** Items written with a damaged property context (its heap's client signature zeroed), for the tests. */
    damaged?: ReadonlySet<TestItem>;
    /** Store data blocks with NDB_CRYPT_PERMUTE, as Outlook does by default; default none. */
    permute?: boolean;
    /**
     * For benchmarks: a file of any size, with no allocation map after the first (which covers 253,952 bytes).
     * pst-extractor never reads the maps, so it reads the messages; Outlook would not take the file.
     */
    onlyFirstAMap?: boolean;
    /** An ANSI file (wVer 14, Outlook 97-2002): 32-bit identifiers and offsets, strings as PT_STRING8. */
    ansi?: boolean;
  } = {},
): Buffer {
  const ids = new NidAlloc(opts.ansi === true);
  const nodes: Node[] = [];
  const recordKey = Buffer.from("5f8c0c1e2b3a4d59a8e7d6c5b4a39281", "hex");
  const entryId = (nid: number) => {
    const e = Buffer.alloc(24);
    recordKey.copy(e, 4);
    e.writeUInt32LE(nid, 20);
    return e;
  };
  const ipm = ids.take(TYPE.folder);
  const searchRoot = ids.take(TYPE.folder);
  const deleted = ids.take(TYPE.folder);

  const pc = (props: PropList) => propertyContext(props, ids);
  nodes.push({
    nid: NID_MESSAGE_STORE,
    parent: 0,
    ...pc([
      [0x0ff9, bin(recordKey)], // PidTagRecordKey
      [PID.DISPLAY_NAME, str(opts.displayName ?? "smimetrust test data")],
      [0x35e0, bin(entryId(ipm))], // PidTagIpmSubTreeEntryId
      [0x35e3, bin(entryId(deleted))], // PidTagIpmWastebasketEntryId
      [0x35e7, bin(entryId(searchRoot))], // PidTagFinderEntryId
      [0x67ff, long(0)], // PidTagPstPassword
    ]),
  });
  // The name-to-id map: one GUID (PSETID_Common) and one numeric named property (PidLidReminderDelta, 0x8501).
  const guid = Buffer.from("0820060000000000c000000000000046", "hex");
  const entry = Buffer.alloc(8);
  entry.writeUInt32LE(0x8501, 0);
  entry.writeUInt16LE(3 << 1, 4); // wGuid 3 = the first GUID in the stream; numeric
  entry.writeUInt16LE(0, 6);
  nodes.push({
    nid: NID_NAME_TO_ID_MAP,
    parent: 0,
    ...pc([
      [0x0001, long(251)], // PidTagNameidBucketCount
      [0x0002, bin(guid)], // PidTagNameidStreamGuid
      [0x0003, bin(entry)], // PidTagNameidStreamEntry
      [0x0004, bin(Buffer.alloc(4))], // PidTagNameidStreamString (one empty name)
    ]),
  });

  interface F {
    nid: number;
    parent: number;
    name: string;
    cls?: string;
    items: TestItem[];
    children: F[];
  }
  const make = (spec: PstFolderSpec, parent: number): F => {
    const nid = ids.take(TYPE.folder);
    return {
      nid,
      parent,
      name: spec.name,
      cls: "IPF.Note",
      items: spec.items,
      children: (spec.folders ?? []).map((s) => make(s, nid)),
    };
  };
  const ipmF: F = {
    nid: ipm,
    parent: NID_ROOT_FOLDER,
    name: "Top of Outlook data file",
    items: [],
    children: [],
  };
  ipmF.children.push({
    nid: deleted,
    parent: ipm,
    name: "Deleted Items",
    cls: "IPF.Note",
    items: [],
    children: [],
  });
  for (const s of folders) ipmF.children.push(make(s, ipm));
  const root: F = {
    nid: NID_ROOT_FOLDER,
    parent: NID_ROOT_FOLDER,
    name: "",
    items: [],
    children: [
      ipmF,
      { nid: searchRoot, parent: NID_ROOT_FOLDER, name: "Search Root", items: [], children: [] },
    ],
  };

  const folderValues = (f: F) =>
    new Map<number, PropValue>([
      [0x3001, str(f.name)],
      [0x3602, long(f.items.length)],
      [0x3603, long(0)],
      [0x360a, bool(f.children.length > 0)],
      ...(f.cls ? [[0x3613, str(f.cls)] as [number, PropValue]] : []),
    ]);
  const emit = (f: F) => {
    const props: PropList = [...folderValues(f)].filter(
      ([, v]) => !(v.type === PT.UNICODE && v.value === ""),
    );
    nodes.push({ nid: f.nid, parent: f.parent, ...pc(props) });
    nodes.push({
      nid: tableNid(f.nid, 0x0d),
      parent: 0,
      ...tableContext(
        FOLDER_COLUMNS,
        f.children.map((c) => ({ rowId: c.nid, values: folderValues(c) })),
        ids,
      ),
    });
    const msgs = f.items.map((item) => ({ item, nid: ids.take(TYPE.message) }));
    nodes.push({
      nid: tableNid(f.nid, 0x0e),
      parent: 0,
      ...tableContext(
        CONTENTS_COLUMNS,
        msgs.map(({ item, nid }) => ({ rowId: nid, values: contentsRow(item) })),
        ids,
      ),
    });
    nodes.push({ nid: tableNid(f.nid, 0x0f), parent: 0, ...tableContext(ASSOC_COLUMNS, [], ids) });
    for (const { item, nid } of msgs) {
      const node = messageNode(item, nid, f.nid, ids);
      if (opts.damaged?.has(item)) node.data = Buffer.from(node.data).fill(0, 2, 4);
      nodes.push(node);
    }
    for (const c of f.children) emit(c);
  };
  emit(root);
  return writeFile(nodes, 0x10000, opts.permute === true, opts.onlyFirstAMap === true, opts.ansi === true);
}

function itemSize(item: TestItem): number {
  return item.attachments.reduce((n, a) => n + a.bytes.length, 0) + item.transportHeaders.length * 2;
}

function contentsRow(item: TestItem): Map<number, PropValue> {
  return new Map<number, PropValue>([
    [0x0017, long(1)],
    [PID.MESSAGE_CLASS, str(item.messageClass)],
    ...(item.subject ? [[PID.SUBJECT, str(item.subject)] as [number, PropValue]] : []),
    [PID.SENT_REPRESENTING_NAME, str(item.senderName)],
    [PID.DISPLAY_TO, str(item.to)],
    [PID.MESSAGE_FLAGS, long(0x01 | (item.attachments.length ? 0x10 : 0))],
    [PID.MESSAGE_SIZE, long(itemSize(item))],
  ]);
}

function messageNode(item: TestItem, nid: number, folder: number, ids: NidAlloc): Node {
  const props: PropList = [
    ...messageProps(item).filter(([, v]) => !(v.type === PT.UNICODE && v.value === "")),
    [PID.MESSAGE_SIZE, long(itemSize(item))],
  ];
  const msg = propertyContext(props, ids);
  const sub: SubNode[] = [...msg.sub];
  const recipients = recipientProps(item);
  const rv = new Map<number, PropValue>([
    ...recipients,
    [0x0e0f, bool(true)],
    [0x0ffe, long(6)],
    [0x3900, long(0)],
  ]);
  const rt = tableContext(RECIPIENT_COLUMNS, [{ rowId: 0, values: rv }], ids);
  sub.push({ nid: NID_RECIPIENT_TABLE, data: rt.data, sub: rt.sub });
  const rows: { rowId: number; values: Map<number, PropValue> }[] = [];
  item.attachments.forEach((a, n) => {
    const anid = ids.take(TYPE.attachment);
    const ap = propertyContext(attachmentProps(a, n), ids);
    sub.push({ nid: anid, data: ap.data, sub: ap.sub });
    rows.push({ rowId: anid, values: new Map(attachmentProps(a, n)) });
  });
  const at = tableContext(ATTACHMENT_COLUMNS, rows, ids);
  sub.push({ nid: NID_ATTACHMENT_TABLE, data: at.data, sub: at.sub });
  return { nid, parent: folder, data: msg.data, sub };
}
