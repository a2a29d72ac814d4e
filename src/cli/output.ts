/**
 * Terminal output helpers: the output edge (hostile characters escaped, lines fitted to the terminal),
 * kubectl/gh-style tables, marks that do not rely on colour, dates.
 */
import { TextGatherer } from "../lib/gather.js";
import { escapeControls } from "../lib/text.js";

export interface Out {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Writes what is held back and resolves once it is written (a write error surfaces before the exit status). */
  flush?: () => Promise<void>;
  /**
   * When more output than a limit waits to be written (its reader is slower than the run: a pipe into a slow
   * program), a promise that resolves once it has drained; otherwise undefined. A command that writes as it
   * goes waits on it, so its memory stays bounded whatever the size of its input.
   */
  caughtUp?: () => Promise<void> | undefined;
  isTTY: boolean;
  color: boolean;
  /** Whether stderr is a terminal (progress bars); default: process.stderr.isTTY. */
  stderrIsTTY?: boolean;
  /** The terminal's width in columns, when stdout is one (text is fitted to it). */
  columns?: number;
  /** The columns of stderr, when it is a terminal. */
  stderrColumns?: number;
  /**
   * Exact output, not escaped nor fitted: JSON documents and the program's own terminal controls (the
   * progress bar). Set by `terminalOut`; without it, `stdout` and `stderr` are exact.
   */
  raw?: { stdout: (s: string) => void; stderr: (s: string) => void };
}

/**
 * Whether to colour: FORCE_COLOR forces it on (or off with 0/false), NO_COLOR turns it off, otherwise on a
 * terminal only. `--no-color` (handled by the program) wins over both.
 */
export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false", "no"].includes(force.trim().toLowerCase());
  if (env.NO_COLOR) return false;
  return isTTY;
}

/** Output waiting to be written beyond which a streaming command waits for it (Out.caughtUp). */
const WAITING_LIMIT = 1024 * 1024;

/**
 * Standard output into a file or pipe, gathered into writes of up to 64 KiB: one write per result line of a
 * large run cost more CPU than reading the message. Flushed before anything goes to stderr (the order of the
 * two stays as written), within 20 ms (a long-running monitor's log lines are not held back), and at exit.
 * A terminal is written at once.
 */
function bufferedStdout(): {
  write: (s: string) => void;
  flush: () => void;
  drained: () => Promise<void>;
  caughtUp: () => Promise<void> | undefined;
} {
  const gathered = new TextGatherer((s) => process.stdout.write(s), 65536, 20);
  const flush = () => gathered.flush();
  process.on("exit", flush);
  return {
    write: (s) => gathered.add(s),
    flush,
    drained: () =>
      new Promise<void>((resolve) => {
        flush();
        process.stdout.write("", () => resolve());
      }),
    // A file takes each write at once (writableLength stays 0); a pipe queues what its reader has not taken.
    caughtUp: () => {
      if (process.stdout.writableLength + gathered.waiting < WAITING_LIMIT) return undefined;
      flush();
      if (process.stdout.writableLength < WAITING_LIMIT) return undefined;
      // Past the stream's high-water mark, so its last write returned false and "drain" is coming.
      return new Promise<void>((resolve) => process.stdout.once("drain", () => resolve()));
    },
  };
}

export function defaultOut(env: NodeJS.ProcessEnv = process.env): Out {
  const isTTY = Boolean(process.stdout.isTTY);
  const out = isTTY ? undefined : bufferedStdout();
  return {
    stdout: out ? out.write : (s) => process.stdout.write(s),
    ...(out ? { flush: out.drained, caughtUp: out.caughtUp } : {}),
    stderr: (s) => {
      out?.flush();
      process.stderr.write(s);
    },
    isTTY,
    color: colorWanted(isTTY, env),
    ...(isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
    ...(process.stderr.isTTY && process.stderr.columns ? { stderrColumns: process.stderr.columns } : {}),
  };
}

/** Visible length: colour sequences take no room. */
export function visibleLength(s: string): number {
  return [...s.replace(/\u001b\[[0-9;]*m/g, "")].length;
}

/**
 * Breaks lines longer than `width` at spaces (a word longer than the line at the width), continuation
 * lines indented by two spaces more than the line they continue.
 */
export function wrapLines(text: string, width: number): string {
  if (width < 20) return text;
  return text
    .split("\n")
    .map((line) => {
      if (visibleLength(line) <= width) return line;
      const indent = `${/^ */.exec(line)![0]}  `.slice(0, Math.floor(width / 2));
      const out: string[] = [];
      let cur = "";
      let curLen = 0;
      const push = () => {
        out.push(cur.trimEnd());
        cur = indent;
        curLen = indent.length;
      };
      const room = (w: string) => visibleLength(w) - (w.endsWith(" ") ? 1 : 0);
      for (const word of line.split(/(?<= )/)) {
        if (curLen + room(word) > width && cur.trim() !== "") push();
        let w = word;
        while (curLen + room(w) > width) {
          if (curLen >= width) push();
          // a word longer than a whole line is cut where the line ends
          const chars = [...w];
          cur += chars.slice(0, width - curLen).join("");
          w = chars.slice(width - curLen).join("");
          push();
        }
        cur += w;
        curLen += visibleLength(w);
      }
      out.push(cur.trimEnd());
      return out.join("\n");
    })
    .join("\n");
}

/**
 * The output edge: every text written through the returned Out has unsafe characters shown escaped
 * (`\x1b`, `\r`, `\u202e`: see lib/text.ts) except the line feeds, tabs and colours of the program's
 * own layout, and on a terminal its lines fitted to the terminal's width. `raw` stays exact (JSON).
 */
export function terminalOut(inner: Out): Out {
  const sgr = inner.color;
  const edge = (write: (s: string) => void, columns: number | undefined) => (s: string) =>
    write(
      columns
        ? wrapLines(escapeControls(s, { newline: true, tab: true, sgr }), columns)
        : escapeControls(s, { newline: true, tab: true, sgr }),
    );
  const raw = inner.raw ?? { stdout: inner.stdout, stderr: inner.stderr };
  return {
    ...inner,
    stdout: edge(inner.stdout, inner.isTTY ? inner.columns : undefined),
    stderr: edge(inner.stderr, inner.stderrIsTTY ? inner.stderrColumns : undefined),
    raw,
  };
}

/** Writes exact output on stdout (a JSON document): never escaped nor fitted. */
export function writeData(out: Out, s: string): void {
  (out.raw ?? out).stdout(s);
}

/** Writes the program's own terminal controls on stderr (the progress bar's \r). */
export function writeControl(out: Out, s: string): void {
  (out.raw ?? out).stderr(s);
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

/**
 * The program's own coloured strings: a table keeps the colours of these cells only, so a colour sequence
 * inside a certificate name is shown escaped even when colours are on. (Bounded: cleared when it grows.)
 */
const PAINTED = new Set<string>();

export function paint(out: Out, color: keyof typeof CODES, s: string): string {
  if (!out.color) return s;
  const painted = `\u001b[${CODES[color]}m${s}\u001b[0m`;
  if (PAINTED.size > 10_000) PAINTED.clear();
  PAINTED.add(painted);
  return painted;
}

/** Marks by word and symbol, so status never depends on colour alone. */
export function mark(out: Out, status: "ok" | "warn" | "fail" | "info"): string {
  switch (status) {
    case "ok":
      return paint(out, "green", "✓ ok");
    case "warn":
      return paint(out, "yellow", "! warn");
    case "fail":
      return paint(out, "red", "✗ fail");
    default:
      return paint(out, "cyan", "i info");
  }
}

/**
 * A plain column table: upper-case headers, two spaces between columns, no borders. Line breaks and other
 * unsafe characters in a value are shown escaped (the colours of cells made by `paint` stay). Given the terminal's width
 * (`fitTo(out)`), the widest columns are narrowed until a row fits, and their cells wrap at spaces onto
 * further lines of the row, so nothing is lost (a hint stays whole).
 */
export function table(headers: string[], rows: string[][], width?: number): string {
  const cells = rows.map((r) => r.map((c) => (PAINTED.has(c) ? c : escapeControls(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visibleLength(r[i] ?? ""))));
  if (width !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    const floor = widths.map((w, i) => Math.min(w, Math.max(headers[i].length, 12)));
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++)
        if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
      if (widest < 0) break;
      const second = Math.max(0, ...widths.filter((_, i) => i !== widest));
      // narrow the widest column down to the next widest (or as far as needed), then look again
      widths[widest] = Math.max(
        floor[widest],
        widths[widest] - (total() - width),
        Math.min(second, widths[widest] - 1),
      );
    }
  }
  const line = (cs: string[]) =>
    cs
      .map((c, i) => (i === cs.length - 1 ? c : c + " ".repeat(Math.max(0, widths[i] - visibleLength(c)))))
      .join("  ")
      .trimEnd();
  const out = [line(headers.map((h) => h.toUpperCase()))];
  for (const r of cells) {
    const parts = r.map((c, i) => (visibleLength(c) > widths[i] ? wrapCell(c, widths[i]) : [c]));
    const height = Math.max(...parts.map((p) => p.length));
    for (let k = 0; k < height; k++) out.push(line(parts.map((p) => p[k] ?? "")));
  }
  return `${out.join("\n")}\n`;
}

/** Breaks one cell into lines of at most `n` visible characters, at spaces where it can. */
function wrapCell(s: string, n: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (const word of s.split(/(?<= )/)) {
    let w = word;
    if (cur && visibleLength(cur) + visibleLength(w.trimEnd()) > n) {
      lines.push(cur.trimEnd());
      cur = "";
    }
    while (visibleLength(w.trimEnd()) > n) {
      const chars = [...w];
      lines.push(chars.slice(0, n).join(""));
      w = chars.slice(n).join("");
    }
    cur += w;
  }
  if (cur.trim() || lines.length === 0) lines.push(cur.trimEnd());
  return lines;
}

/** The width a table should fit: the terminal's, or none when stdout is not a terminal. */
export function fitTo(out: Out): number | undefined {
  return out.isTTY ? out.columns : undefined;
}

/** "2031-05-01" */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** "2031-05-01T12:00:00Z" */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function daysBetween(from: number, to: number): number {
  return Math.floor((to - from) / 86_400_000);
}

/** "2031-05-01 (1612 days)" or "2020-01-01 (expired 200 days ago)". */
export function expiryLabel(notAfter: number, now: number): string {
  const d = daysBetween(now, notAfter);
  if (notAfter < now) return `${isoDate(notAfter)} (expired ${-d} days ago)`;
  return `${isoDate(notAfter)} (${d} days)`;
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
