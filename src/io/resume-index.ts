/**
 * What `verify --resume` knows of an earlier run: for each message key, the content hash its results line gave
 * and the facts it adds to the summary. A resumed archive may hold millions of messages, so this is kept small:
 * - the keys of messages inside a file (`archive@offset`, and any `path@N`) are numbers per file, in a sorted
 *   typed array; other keys (a file's path, a Maildir message) are map keys;
 * - a hash of 16 hex digits (what verify writes) is two 32-bit numbers;
 * - the facts are interned: most messages share one of a few (`valid`, no problem).
 * About 26 bytes per message of an archive, where a map of objects took 239 bytes of heap (and about a kilobyte
 * of peak memory while the file was read).
 * A key given twice answers with its last line, as a results file appended to by a second run expects.
 */
import type { ResultFacts } from "../smime/summary.js";

/** What the earlier run said of a message. */
export interface DoneEntry {
  hash: string | null | undefined;
  facts: ResultFacts;
}

const HEX16 = /^[0-9a-f]{16}$/;
/** A key that ends in @N (no leading zero, a safe integer): one string per N, so the split loses nothing. */
const NUMBERED = /^(.*)@(0|[1-9][0-9]{0,14})$/s;

/** How a slot's hash is kept. */
enum HashKind {
  Absent = 0,
  Null = 1,
  Hex16 = 2,
  Other = 3,
}

/** The numbered keys of one file, in typed arrays: in the order of the results file, sorted at a look-up. */
interface Numbered {
  numbers: Float64Array;
  slots: Uint32Array;
  count: number;
  sorted: boolean;
}

export class ResumeIndex {
  private readonly factsList: ResultFacts[] = [];
  private readonly factsIds = new Map<string, number>();
  private readonly byKey = new Map<string, number>();
  private readonly byFile = new Map<string, Numbered>();
  /** Per slot (one per line added): the hash, as two halves or as text, and the facts' number. */
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private kind = new Uint8Array(1024);
  private factsOf = new Uint32Array(1024);
  private readonly otherHashes = new Map<number, string>();
  private slots = 0;

  /** Records a results line; a later line for the same key replaces it. */
  add(key: string, hash: string | null | undefined, facts: ResultFacts): void {
    const slot = this.slots++;
    if (slot === this.kind.length) this.grow();
    if (hash === undefined) this.kind[slot] = HashKind.Absent;
    else if (hash === null) this.kind[slot] = HashKind.Null;
    else if (HEX16.test(hash)) {
      this.kind[slot] = HashKind.Hex16;
      this.hi[slot] = Number.parseInt(hash.slice(0, 8), 16);
      this.lo[slot] = Number.parseInt(hash.slice(8), 16);
    } else {
      this.kind[slot] = HashKind.Other;
      this.otherHashes.set(slot, hash);
    }
    this.factsOf[slot] = this.intern(facts);
    const m = NUMBERED.exec(key);
    if (!m) {
      this.byKey.set(key, slot);
      return;
    }
    let f = this.byFile.get(m[1]);
    if (!f) {
      f = { numbers: new Float64Array(64), slots: new Uint32Array(64), count: 0, sorted: true };
      this.byFile.set(m[1], f);
    }
    if (f.count === f.numbers.length) {
      f.numbers = doubled(f.numbers);
      f.slots = doubled(f.slots);
    }
    f.numbers[f.count] = Number(m[2]);
    f.slots[f.count] = slot;
    f.count++;
    f.sorted = false;
  }

  /** What the last line for `key` said, or undefined when no line had it. */
  get(key: string): DoneEntry | undefined {
    let slot = this.byKey.get(key);
    if (slot === undefined) {
      const m = NUMBERED.exec(key);
      const f = m && this.byFile.get(m[1]);
      if (!f) return undefined;
      if (!f.sorted) sortNumbered(f);
      const n = Number(m[2]);
      let lo = 0;
      let hi = f.count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (f.numbers[mid] < n) lo = mid + 1;
        else hi = mid;
      }
      if (lo === f.count || f.numbers[lo] !== n) return undefined;
      slot = f.slots[lo];
    }
    return { hash: this.hashOf(slot), facts: this.factsList[this.factsOf[slot]] };
  }

  /** Lines recorded (a key given twice counts twice). */
  get lines(): number {
    return this.slots;
  }

  private hashOf(slot: number): string | null | undefined {
    switch (this.kind[slot]) {
      case HashKind.Absent:
        return undefined;
      case HashKind.Null:
        return null;
      case HashKind.Hex16:
        return this.hi[slot].toString(16).padStart(8, "0") + this.lo[slot].toString(16).padStart(8, "0");
      default:
        return this.otherHashes.get(slot);
    }
  }

  private intern(facts: ResultFacts): number {
    const text = JSON.stringify(facts);
    let id = this.factsIds.get(text);
    if (id === undefined) {
      id = this.factsList.length;
      this.factsList.push(facts);
      this.factsIds.set(text, id);
    }
    return id;
  }

  private grow(): void {
    this.hi = doubled(this.hi);
    this.lo = doubled(this.lo);
    this.kind = doubled(this.kind);
    this.factsOf = doubled(this.factsOf);
  }
}

/** A typed array of twice the length, starting with `a`'s elements. */
function doubled<T extends Float64Array | Uint32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (length: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Sorts a file's numbered keys in place (a results file in input order is sorted already); of a number given
 * twice, the later line stays.
 */
function sortNumbered(f: Numbered): void {
  const { numbers, slots, count } = f;
  let inOrder = true;
  for (let i = 1; i < count && inOrder; i++) inOrder = numbers[i - 1] < numbers[i];
  if (!inOrder) {
    // Slots grow with the line, so ties sort in the order of the lines.
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => numbers[a] - numbers[b] || slots[a] - slots[b]);
    const n2 = Float64Array.from(order, (i) => numbers[i]);
    const s2 = Uint32Array.from(order, (i) => slots[i]);
    numbers.set(n2);
    slots.set(s2);
  }
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (n > 0 && numbers[n - 1] === numbers[i]) slots[n - 1] = slots[i];
    else {
      numbers[n] = numbers[i];
      slots[n] = slots[i];
      n++;
    }
  }
  f.count = n;
  f.sorted = true;
}
