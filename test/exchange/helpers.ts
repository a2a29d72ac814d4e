import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTINGS } from "../../src/exchange/settings.js";
import { readCertificateBytes } from "../../src/formats/read.js";
import { createSst } from "../../src/formats/sst.js";
import type { Certificate } from "../../src/x509/certificate.js";
import { type CliResult, cli as runCli, spawnCli as spawnRealCli } from "../helpers/cli.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
export const FIXTURES = join(REPO, "test/exchange/fixtures");
export const GOLDEN = join(REPO, "test/exchange/golden");

/** The tests' clock: 2026-06-01T00:00:00Z. */
export const NOW = Date.UTC(2026, 5, 1);

export function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

export function fixture(name: string): Certificate {
  return readCertificateBytes(readFileSync(fixturePath(name)), name).certificates[0];
}

export const certs = {
  contosoRoot: () => fixture("contoso-root.pem"),
  contosoIssuing: () => fixture("contoso-issuing.pem"),
  fabrikamRoot: () => fixture("fabrikam-root.pem"),
  contosoRoot2025: () => fixture("contoso-root-2025.pem"),
  alice: () => fixture("alice.pem"),
};

export function tmp(prefix = "smimetrust-exchange-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Get-SmimeConfig's properties on a fresh tenant (the defaults), the way the export script writes them. */
export function defaultProperties(): Record<string, unknown> {
  const out: Record<string, unknown> = { Identity: "SMIMEConfig", Name: "SMIMEConfig" };
  for (const [k, v] of Object.entries(SETTINGS)) out[k] = v.default;
  return out;
}

/** An export JSON: the given certificates as an .sst (base64) and settings over the defaults. */
export function exportJson(list: Certificate[] | null, settings: Record<string, unknown> = {}): string {
  const props = defaultProperties();
  Object.assign(props, settings);
  if (list?.length) {
    const bytes = createSst(list.map((c) => ({ der: c.der })));
    props.SMIMECertificateIssuingCA = Buffer.from(bytes).toString("base64");
    const first = [...list].sort((a, b) => a.notAfter - b.notAfter)[0];
    props.SMIMECertificatesExpiryDate = new Date(first.notAfter).toISOString().replace(/\.\d{3}Z$/, "Z");
    props.SMIMEExpiredCertificateThumbprint = first.sha1;
  } else {
    props.SMIMECertificateIssuingCA = null;
    props.SMIMECertificatesExpiryDate = null;
    props.SMIMEExpiredCertificateThumbprint = "";
  }
  return JSON.stringify(props, null, 2);
}

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

export type { CliResult } from "../helpers/cli.js";

/** The CLI in-process, on the tests' clock. */
export function cli(args: string[], now = NOW): Promise<CliResult> {
  return runCli(args, { now });
}

/** The real CLI process, for real exit statuses. */
export function spawnCli(args: string[], cwd = REPO): CliResult {
  return spawnRealCli(args, { cwd });
}

/**
 * PowerShell's reading of a single-quoted literal (tokenizer.cs ScanStringLiteral): starts at a quote
 * character; a quote followed by another quote character is one literal quote (the second one); a quote
 * followed by anything else ends the literal. Quote characters: ' ‘ ’ ‚ ‛.
 */
export const PS_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201A", "\u201B"]);
export function readPsLiteral(text: string, start: number): { value: string; end: number } {
  if (!PS_QUOTES.has(text[start])) throw new Error(`no quote at ${start}`);
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new Error("unterminated literal");
    const c = text[i];
    if (PS_QUOTES.has(c)) {
      if (i + 1 < text.length && PS_QUOTES.has(text[i + 1])) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
    i++;
  }
}

const PS_DOUBLE_QUOTES = new Set(['"', "\u201C", "\u201D", "\u201E"]);

/**
 * A small PowerShell lexer for structure checks: skips comments, single-quoted literals (PowerShell's
 * rules) and double-quoted strings, and checks that (), {} and [] balance and every string ends.
 * Returns the problems found (empty when the script is well formed at this level).
 */
export function psStructureProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: { ch: string; at: number }[] = [];
  const pairs: Record<string, string> = { ")": "(", "}": "{", "]": "[" };
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "<" && text[i + 1] === "#") {
      const end = text.indexOf("#>", i + 2);
      if (end < 0) return [...problems, `unterminated block comment at ${i}`];
      i = end + 2;
    } else if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (PS_QUOTES.has(c)) {
      try {
        i = readPsLiteral(text, i).end;
      } catch {
        return [...problems, `unterminated single-quoted string at ${i}`];
      }
    } else if (PS_DOUBLE_QUOTES.has(c)) {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return [...problems, `unterminated double-quoted string at ${i}`];
        if (text[j] === "`") j += 2;
        else if (PS_DOUBLE_QUOTES.has(text[j])) {
          if (PS_DOUBLE_QUOTES.has(text[j + 1])) j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
    } else if (c === "(" || c === "{" || c === "[") {
      stack.push({ ch: c, at: i });
      i++;
    } else if (c === ")" || c === "}" || c === "]") {
      const top = stack.pop();
      if (!top || top.ch !== pairs[c]) problems.push(`unbalanced '${c}' at ${i}`);
      i++;
    } else i++;
  }
  for (const s of stack) problems.push(`unclosed '${s.ch}' at ${s.at}`);
  return problems;
}
