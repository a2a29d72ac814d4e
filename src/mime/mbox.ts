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
  // Five bytes compared in a loop: a Buffer view and equals() cost more than the rest of a file's reading.
  if (bytes.length < 5) return false;
  for (let i = 0; i < 5; i++) if (bytes[i] !== FROM[i]) return false;
  return true;
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
    // The empty line before the next separator belongs to the separator; at the end of the archive, the empty
    // line writers put after every message does too, so a message's bytes stay the same when one is appended.
    if (k + 1 < starts.length || endsWithEmptyLine(buf, bodyStart, end)) {
      if (end - 1 >= bodyStart && buf[end - 1] === 0x0a) {
        end--;
        if (end - 1 >= bodyStart && buf[end - 1] === 0x0d) end--;
      }
    }
    out.push({ index: k + 1, offset: s, bytes: unescapeFrom(bytes.subarray(bodyStart, end)) });
  }
  return out;
}

/** Whether bytes [start, end) end with an empty line: "\n\n" or "\r\n\r\n" (or "\n\r\n"). */
function endsWithEmptyLine(b: Uint8Array, start: number, end: number): boolean {
  let i = end - 1;
  if (i < start || b[i] !== 0x0a) return false;
  i--;
  if (i >= start && b[i] === 0x0d) i--;
  return i >= start && b[i] === 0x0a;
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

/** A message the streaming splitter completed: its bytes, or none when it is larger than the cap. */
export interface MboxStreamMessage {
  /** 1-based position in the archive. */
  index: number;
  /** Byte offset of the "From " line in the archive. */
  offset: number;
  /**
   * The message (From_ line removed, ">From " unescaped), in a buffer that belongs to it alone (it may be
   * transferred to a worker); undefined when larger than `maxMessageBytes`.
   */
  bytes?: Uint8Array;
  /** Bytes of the message as stored (after its From_ line). */
  size: number;
}

const SEP = Buffer.from("\nFrom ", "latin1");

/**
 * The incremental form of splitMbox, for archives of any size: chunks go in (the caller may reuse its buffer
 * after each push), finished messages come out, each in a buffer of its own (transferable to a worker). It
 * holds only the message being read: memory is bounded by the largest message, and a message over
 * `maxMessageBytes` is counted but not kept (it comes out without bytes). Splits exactly as splitMbox does:
 * bytes before the first "From " line are not a message, and the line break before a separator belongs to it.
 */
export class MboxSplitter {
  private pos = 0;
  /** Bytes of SEP matched at the end of the previous chunk (a virtual line break starts the stream). */
  private matched = 1;
  private index = 0;
  private cur:
    | { offset: number; inFromLine: boolean; parts: Uint8Array[]; size: number; tooLarge: boolean }
    | undefined;

  constructor(private readonly maxMessageBytes = Number.MAX_SAFE_INTEGER) {}

  /** Where the message being read starts (its From_ line), if one has started: where the last one out ends. */
  get readingFrom(): number | undefined {
    return this.cur?.offset;
  }

  /** Feeds the next chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): MboxStreamMessage[] {
    const out: MboxStreamMessage[] = [];
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const base = this.pos;
    this.pos += buf.length;
    let from = 0;
    if (this.matched > 0) {
      const before = this.matched;
      let k = 0;
      while (k < buf.length && this.matched < SEP.length && buf[k] === SEP[this.matched]) {
        this.matched++;
        k++;
      }
      if (this.matched === SEP.length) {
        // A separator whose line break (and maybe more) ended the previous chunk; the bytes of "From" held
        // back belong to the new message's From_ line, which is not kept.
        this.matched = 0;
        this.start(base + k - 5, out);
        from = k;
      } else if (k === buf.length) {
        return out; // still a possible separator: wait for more
      } else {
        // Not a separator: the held bytes ("F", "Fr", ...) are content after all.
        this.append(SEP.subarray(1, before), 0, before - 1);
        this.matched = 0;
      }
    }
    for (;;) {
      const i = buf.indexOf(SEP, from);
      if (i < 0) break;
      this.append(buf, from, i + 1);
      this.start(base + i + 1, out);
      from = i + 1;
    }
    // A separator may begin at the end of this chunk: hold back its "From" bytes until the next one says.
    let m = Math.min(SEP.length - 1, buf.length - from);
    while (m > 0 && !buf.subarray(buf.length - m).equals(SEP.subarray(0, m))) m--;
    this.matched = m;
    this.append(buf, from, buf.length - (m > 0 ? m - 1 : 0));
    return out;
  }

  /** Ends the archive: returns its last message (if any). */
  end(): MboxStreamMessage[] {
    if (this.matched > 1) this.append(SEP.subarray(1, this.matched), 0, this.matched - 1);
    this.matched = 0;
    const out: MboxStreamMessage[] = [];
    this.finish(true, out);
    return out;
  }

  private start(offset: number, out: MboxStreamMessage[]): void {
    this.finish(false, out);
    this.cur = { offset, inFromLine: true, parts: [], size: 0, tooLarge: false };
  }

  private append(buf: Uint8Array, from: number, to: number): void {
    const c = this.cur;
    if (!c || to <= from) return;
    if (c.inFromLine) {
      const nl = buf.indexOf(0x0a, from);
      if (nl < 0 || nl >= to) return;
      c.inFromLine = false;
      from = nl + 1;
      if (to <= from) return;
    }
    c.size += to - from;
    if (c.size > this.maxMessageBytes) {
      c.tooLarge = true;
      c.parts = [];
      return;
    }
    // A copy (never a view: the caller reuses its read buffer), in a buffer of its own (not Node's pool).
    const part = Buffer.allocUnsafeSlow(to - from);
    part.set(buf.subarray(from, to));
    c.parts.push(part);
  }

  private finish(last: boolean, out: MboxStreamMessage[]): void {
    const c = this.cur;
    this.cur = undefined;
    if (!c) return;
    const index = ++this.index;
    if (c.tooLarge) {
      out.push({ index, offset: c.offset, size: c.size });
      return;
    }
    let whole: Uint8Array;
    if (c.parts.length === 1) whole = c.parts[0];
    else {
      whole = Buffer.allocUnsafeSlow(c.size);
      let o = 0;
      for (const p of c.parts) {
        whole.set(p, o);
        o += p.length;
      }
    }
    let end = whole.length;
    // The line break before the next separator belongs to the separator; at the end of the archive, so does
    // the empty line that ends it (as in splitMbox).
    if ((!last || endsWithEmptyLine(whole, 0, end)) && end > 0 && whole[end - 1] === 0x0a) {
      end--;
      if (end > 0 && whole[end - 1] === 0x0d) end--;
    }
    out.push({ index, offset: c.offset, bytes: unescapeFrom(whole.subarray(0, end)), size: c.size });
  }
}
