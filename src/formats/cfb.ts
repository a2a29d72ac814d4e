/**
 * A structural check of a Compound File Binary file ([MS-CFB], the container of an Outlook .msg) before a reader
 * walks it: the readers follow sector chains and the directory tree without bounds, so a cycle or an index past
 * the end (a damaged or hostile file) would make them loop for ever or allocate gigabytes. Checked here, once,
 * in time linear in the file: the header, the FAT (through the DIFAT), every chain (directory, mini FAT, mini
 * stream, each stream) ends inside the file without a cycle, the directory tree reaches each entry at most once,
 * and no stream is larger than the file. Throws MalformedInputError with the byte offset of what is wrong.
 */
import { MalformedInputError } from "../errors.js";

const SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const END_OF_CHAIN = 0xfffffffe;
const FREE = 0xffffffff;
const NO_STREAM = 0xffffffff;
const DIR_ENTRY = 128;
const MINI_SECTOR = 64;
const MINI_CUTOFF = 4096;

function fail(message: string, offset?: number): never {
  throw new MalformedInputError(`damaged Outlook .msg file (compound file): ${message}`, { offset });
}

export function checkCompoundFile(bytes: Uint8Array): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 512 || !SIGNATURE.every((v, i) => b[i] === v)) fail("no compound file header", 0);
  const shift = b.readUInt16LE(30);
  if (shift !== 9 && shift !== 12) fail(`sector size 2^${shift} is neither 512 nor 4096 bytes`, 30);
  const ss = 1 << shift;
  const perSector = ss / 4;
  // Sector n starts at (n + 1) * ss; only whole sectors inside the file may be referenced.
  const sectors = Math.max(0, Math.floor(b.length / ss) - 1);
  const at = (sector: number) => (sector + 1) * ss;
  const inFile = (s: number) => s < sectors;

  // The FAT sectors: 109 in the header, the rest in the DIFAT chain.
  const numFat = b.readUInt32LE(44);
  if (numFat > sectors) fail(`${numFat} FAT sectors in a file of ${sectors} sectors`, 44);
  const fatSectors: number[] = [];
  for (let i = 0; i < Math.min(numFat, 109); i++) fatSectors.push(b.readUInt32LE(76 + 4 * i));
  let difat = b.readUInt32LE(68);
  const numDifat = b.readUInt32LE(72);
  if (numDifat > sectors) fail(`${numDifat} DIFAT sectors in a file of ${sectors} sectors`, 72);
  const seenDifat = new Set<number>();
  for (let n = 0; n < numDifat && fatSectors.length < numFat; n++) {
    if (!inFile(difat) || seenDifat.has(difat))
      fail(`DIFAT sector ${difat} outside the file or repeated`, 68);
    seenDifat.add(difat);
    for (let i = 0; i < perSector - 1 && fatSectors.length < numFat; i++)
      fatSectors.push(b.readUInt32LE(at(difat) + 4 * i));
    difat = b.readUInt32LE(at(difat) + 4 * (perSector - 1));
  }
  if (fatSectors.length < numFat) fail(`the DIFAT lists ${fatSectors.length} of ${numFat} FAT sectors`, 72);
  const fat = new Uint32Array(numFat * perSector);
  fatSectors.forEach((s, i) => {
    if (!inFile(s)) fail(`FAT sector ${s} outside the file`, 76);
    for (let j = 0; j < perSector; j++) fat[i * perSector + j] = b.readUInt32LE(at(s) + 4 * j);
  });

  /** The sectors of a FAT chain: each inside the file and the FAT, no cycle, ending at ENDOFCHAIN. */
  const chain = (start: number, what: string, where: number): number[] => {
    const out: number[] = [];
    const seen = new Set<number>();
    for (let s = start; s !== END_OF_CHAIN; s = fat[s]) {
      if (!inFile(s) || s >= fat.length) fail(`${what}: sector ${s} outside the file`, where);
      if (seen.has(s)) fail(`${what}: its sector chain loops at sector ${s}`, at(s));
      seen.add(s);
      out.push(s);
    }
    return out;
  };

  const dirSectors = chain(b.readUInt32LE(48), "the directory", 48);
  if (dirSectors.length === 0) fail("no directory", 48);
  const entries = (dirSectors.length * ss) / DIR_ENTRY;
  const entryAt = (i: number) => at(dirSectors[Math.floor((i * DIR_ENTRY) / ss)]) + ((i * DIR_ENTRY) % ss);
  const type = (i: number) => b[entryAt(i) + 66];
  if (type(0) !== 5) fail("the first directory entry is not the root", entryAt(0));

  // Mini FAT and mini stream (the root entry's stream).
  const miniFatStart = b.readUInt32LE(60);
  const miniFatSectors =
    b.readUInt32LE(64) === 0 || miniFatStart === END_OF_CHAIN ? [] : chain(miniFatStart, "the mini FAT", 60);
  const miniFat = new Uint32Array(miniFatSectors.length * perSector);
  miniFatSectors.forEach((s, i) => {
    for (let j = 0; j < perSector; j++) miniFat[i * perSector + j] = b.readUInt32LE(at(s) + 4 * j);
  });
  const rootStart = b.readUInt32LE(entryAt(0) + 116);
  const miniStream = rootStart === END_OF_CHAIN ? [] : chain(rootStart, "the mini stream", entryAt(0) + 116);
  const miniSectors = (miniStream.length * ss) / MINI_SECTOR;

  // The directory tree: from the root's child, siblings and children, each entry reached once.
  const seen = new Set<number>([0]);
  const stack = [b.readUInt32LE(entryAt(0) + 76)];
  while (stack.length) {
    const i = stack.pop()!;
    if (i === NO_STREAM) continue;
    if (i >= entries) fail(`directory entry ${i} outside the directory`, entryAt(0));
    if (seen.has(i)) fail(`the directory tree reaches entry ${i} twice`, entryAt(i));
    seen.add(i);
    const e = entryAt(i);
    const t = type(i);
    if (t !== 1 && t !== 2) fail(`directory entry ${i} is linked but of type ${t}`, e + 66);
    stack.push(b.readUInt32LE(e + 68), b.readUInt32LE(e + 72));
    if (t === 1) stack.push(b.readUInt32LE(e + 76));
    else {
      const size = b.readUInt32LE(e + 120) + (ss === 4096 ? b.readUInt32LE(e + 124) * 2 ** 32 : 0);
      if (size > b.length) fail(`stream of ${size} bytes in a file of ${b.length}`, e + 120);
      const start = b.readUInt32LE(e + 116);
      if (size === 0) continue;
      if (size >= MINI_CUTOFF) {
        if (chain(start, `stream ${i}`, e + 116).length * ss < size)
          fail(`stream ${i}: its chain is shorter than its size`, e + 116);
        continue;
      }
      const mini = new Set<number>();
      for (let s = start; s !== END_OF_CHAIN; s = miniFat[s]) {
        if (s >= miniFat.length || s >= miniSectors || s === FREE)
          fail(`stream ${i}: mini sector ${s} outside the mini stream`, e + 116);
        if (mini.has(s)) fail(`stream ${i}: its mini sector chain loops`, e + 116);
        mini.add(s);
      }
      if (mini.size * MINI_SECTOR < size) fail(`stream ${i}: its chain is shorter than its size`, e + 116);
    }
  }
}
