/**
 * Safe PowerShell literals. Every value from outside (paths, names, thumbprints, setting strings) goes
 * into a single-quoted literal, where PowerShell expands nothing: no `$(...)`, no variables, no backtick
 * escapes. Inside one, the only special characters are the single quotes, and PowerShell counts four
 * of them: the ASCII apostrophe ' and the Unicode quotes U+2018 ‘ U+2019 ’ U+201A ‚ U+201B ‛. Each is
 * doubled, so the literal ends only where we end it. Newlines are kept as they are (a single-quoted
 * literal may span lines). Values are never put into double-quoted strings.
 */
import { UsageError } from "../errors.js";

/** The characters PowerShell's tokenizer treats as a single quote. */
export const PS_SINGLE_QUOTES = ["'", "\u2018", "\u2019", "\u201A", "\u201B"] as const;

const QUOTE_RE = /['\u2018\u2019\u201A\u201B]/g;

/** A single-quoted PowerShell string literal whose value is exactly `s`. */
export function psString(s: string): string {
  if (s.includes("\u0000")) throw new UsageError("a value for PowerShell contains a NUL character");
  return `'${s.replace(QUOTE_RE, (q) => q + q)}'`;
}

/** `$true` / `$false`. */
export function psBool(b: boolean): string {
  return b ? "$true" : "$false";
}

/** A literal for a Set-SmimeConfig value: booleans, UInt32 numbers, strings and $null. */
export function psValue(v: boolean | number | string | null): string {
  if (v === null) return "$null";
  if (typeof v === "boolean") return psBool(v);
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > 4_294_967_295) throw new UsageError(`${v} is not a UInt32`);
    return `[uint32]${v}`;
  }
  return psString(v);
}

/** Base64 text as a readable array of single-quoted lines joined at run time. */
export function psBase64Block(bytes: Uint8Array, indent = "    ", width = 100): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(`${indent}'${b64.slice(i, i + width)}'`);
  if (lines.length === 0) lines.push(`${indent}''`);
  return `@(\n${lines.join("\n")}\n) -join ''`;
}

/**
 * Bidirectional formatting controls (ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI): in a comment they
 * would reorder what a reviewer sees of the lines around it ("Trojan Source", CVE-2021-42574).
 */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A comment line that cannot end the comment, smuggle a line break or reorder the text around it:
 * control characters and bidi controls become spaces.
 */
export function psComment(s: string): string {
  return `# ${s
    .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, " ")
    .replace(BIDI_CONTROLS, " ")
    .replace(/#>/g, "# >")}`;
}
