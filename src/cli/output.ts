/** Terminal output helpers: kubectl/gh-style tables, marks that do not rely on colour, dates. */

export interface Out {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  color: boolean;
  /** Whether stderr is a terminal (progress bars); default: process.stderr.isTTY. */
  stderrIsTTY?: boolean;
}

export function defaultOut(): Out {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

export function paint(out: Out, color: keyof typeof CODES, s: string): string {
  return out.color ? `\u001b[${CODES[color]}m${s}\u001b[0m` : s;
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

/** A plain column table: upper-case headers, two spaces between columns, no borders. */
export function table(headers: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - visible(c).length)))
      .join("  ")
      .trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n")}\n`;
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
