/**
 * PEM armour (RFC 7468) found in one linear pass, with no backtracking regular expression.
 *
 * A block is `-----BEGIN <label>-----`, any text, and the first `-----END <label>-----` with the same label
 * after it (labels: A-Z, 0-9, space and '#'). A BEGIN line with no matching END later is not a block, and
 * the scan goes on after it, as `/-----BEGIN (L)-----([\s\S]*?)-----END \1-----/g` would; but where that
 * expression reads the rest of the text again for every such BEGIN line (time in N^2 for N of them), the
 * END lines are indexed once by label, and each label's list is walked forwards only: every character is
 * looked at a bounded number of times.
 */

export interface PemBlock {
  /** The label, e.g. "CERTIFICATE". */
  label: string;
  /** Offset of the BEGIN line's first dash. */
  offset: number;
  /** The text between the BEGIN line's closing dashes and the END line: [bodyStart, bodyEnd). */
  bodyStart: number;
  bodyEnd: number;
  /** Just after the END line's closing dashes. */
  end: number;
}

const BEGIN = Buffer.from("-----BEGIN ", "latin1");
const END = Buffer.from("-----END ", "latin1");
const DASH = 0x2d;

function isLabelChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x20 || c === 0x23;
}

/** The label starting at `at` when five dashes follow it: [label, end of the dashes], or undefined. */
function labelAt(b: Buffer, at: number): [string, number] | undefined {
  let i = at;
  while (i < b.length && isLabelChar(b[i])) i++;
  if (i === at || i + 5 > b.length) return undefined;
  for (let k = i; k < i + 5; k++) if (b[k] !== DASH) return undefined;
  return [b.toString("latin1", at, i), i + 5];
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when the bytes hold a BEGIN line of PEM armour (any label, closed or not). */
export function hasPemBegin(bytes: Uint8Array): boolean {
  return view(bytes).includes(BEGIN);
}

/**
 * The PEM blocks of `bytes` (text in any ASCII-compatible encoding), in order; offsets are byte offsets.
 * Works on the bytes themselves: no string of the whole input is made. With `only`, BEGIN lines of other
 * labels are ordinary text (as in `/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g`).
 */
export function pemBlocks(bytes: Uint8Array, only?: string): PemBlock[] {
  const b = view(bytes);
  // Every END line, by label, in order of position.
  const ends = new Map<string, number[]>();
  for (let at = b.indexOf(END); at >= 0; at = b.indexOf(END, at + 1)) {
    const l = labelAt(b, at + END.length);
    if (!l || (only !== undefined && l[0] !== only)) continue;
    let list = ends.get(l[0]);
    if (!list) {
      list = [];
      ends.set(l[0], list);
    }
    list.push(at);
  }
  const out: PemBlock[] = [];
  if (ends.size === 0) return out;
  /** Per label, the index of the first END not yet behind the scan. */
  const next = new Map<string, number>();
  let pos = 0;
  for (let at = b.indexOf(BEGIN, pos); at >= 0; at = b.indexOf(BEGIN, pos)) {
    pos = at + 1;
    const l = labelAt(b, at + BEGIN.length);
    if (!l || (only !== undefined && l[0] !== only)) continue;
    const [label, bodyStart] = l;
    const list = ends.get(label);
    if (!list) continue;
    let k = next.get(label) ?? 0;
    while (k < list.length && list[k] < bodyStart) k++;
    next.set(label, k);
    if (k === list.length) continue;
    const bodyEnd = list[k];
    const end = bodyEnd + END.length + label.length + 5;
    out.push({ label, offset: at, bodyStart, bodyEnd, end });
    pos = end;
  }
  return out;
}
