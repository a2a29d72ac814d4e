/**
 * mbox archives (RFC 4155): messages separated by "From " lines. Reads mboxo and mboxrd alike: a body
 * line ">From " (any number of '>') loses one '>' when the message is extracted. Messages without such
 * lines are returned as views of the input; only those that need unescaping are copied.
 */

export interface MboxMessage {
  /** 1-based position in the archive. */
  index: number;
  /** Byte offset of the "From " line in the archive. */
  offset: number;
  bytes: Uint8Array;
}

const FROM = Buffer.from("From ", "latin1");

/** True when the bytes look like an mbox archive (they start with a "From " separator line). */
export function isMbox(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 5));
  return b.equals(FROM);
}

/** Splits an mbox archive into messages (the "From " lines removed, ">From " unescaped). */
export function splitMbox(bytes: Uint8Array, maxMessages = 10_000_000): MboxMessage[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts: number[] = [];
  if (isMbox(bytes)) starts.push(0);
  let i = 0;
  for (;;) {
    i = buf.indexOf("\nFrom ", i, "latin1");
    if (i < 0) break;
    starts.push(i + 1);
    if (starts.length > maxMessages) break;
    i += 1;
  }
  const out: MboxMessage[] = [];
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k];
    const e = k + 1 < starts.length ? starts[k + 1] : buf.length;
    const nl = buf.indexOf(0x0a, s);
    const bodyStart = nl < 0 || nl >= e ? e : nl + 1;
    let end = e;
    // The empty line before the next separator belongs to the separator.
    if (k + 1 < starts.length) {
      if (end - 1 >= bodyStart && buf[end - 1] === 0x0a) {
        end--;
        if (end - 1 >= bodyStart && buf[end - 1] === 0x0d) end--;
      }
    }
    out.push({ index: k + 1, offset: s, bytes: unescapeFrom(bytes.subarray(bodyStart, end)) });
  }
  return out;
}

/** Removes one '>' from lines that match /^>+From /. Returns the input itself when none do. */
export function unescapeFrom(b: Uint8Array): Uint8Array {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const hits: number[] = [];
  let i = 0;
  while (i < buf.length) {
    if (buf[i] === 0x3e) {
      let j = i;
      while (j < buf.length && buf[j] === 0x3e) j++;
      if (buf.length - j >= 5 && buf[j] === 0x46 && buf.subarray(j, j + 5).equals(FROM)) hits.push(i);
    }
    const nl = buf.indexOf(0x0a, i);
    if (nl < 0) break;
    i = nl + 1;
  }
  if (hits.length === 0) return b;
  const out = new Uint8Array(b.length - hits.length);
  let o = 0;
  let prev = 0;
  for (const h of hits) {
    out.set(b.subarray(prev, h), o);
    o += h - prev;
    prev = h + 1;
  }
  out.set(b.subarray(prev), o);
  return out;
}
