/**
 * Trust-list inputs as the front ends take them: files, folders, '-' and Exchange export JSON files (detected
 * by the SMIMECertificateIssuingCA key), and --leaf user certificates. Used by check, diff and the monitor.
 */
import { UsageError } from "../errors.js";
import { isExchangeExport, readExchangeExport } from "../formats/exchange-export.js";
import { readCertificateBytes } from "../formats/read.js";
import { isSst } from "../formats/sst.js";
import type { Certificate } from "../x509/certificate.js";
import { expandInput, type LoadOptions, loadCertificates, readInput, type SkippedFile } from "./files.js";

export interface TrustSources {
  certificates: Certificate[];
  warnings: string[];
  /** Size of the .sst as given, when one input is a single .sst file or an Exchange export. */
  sstBytes?: number;
  /** Exchange exports read, with their Get-SmimeConfig properties. */
  exports: { file: string; properties: Record<string, unknown> }[];
  /** Unreadable files in folders left out (only with skipUnreadable; otherwise they stop the run). */
  skipped: SkippedFile[];
}

/** Reads trust-list inputs (see above); an unreadable file stops the read unless `skipUnreadable`. */
export async function loadTrustSources(
  inputs: readonly string[],
  opts: LoadOptions = {},
): Promise<TrustSources> {
  const out: TrustSources = { certificates: [], warnings: [], exports: [], skipped: [] };
  const sizes: number[] = [];
  for (const input of inputs) {
    const files = input === "-" ? [{ name: "-", fromFolder: false }] : expandInput(input);
    if (files.length === 1 && !files[0].fromFolder) {
      const name = input === "-" ? "<stdin>" : input;
      const bytes = await readInput(input, opts.stdin);
      if (isExchangeExport(bytes)) {
        const x = readExchangeExport(bytes, name);
        if (!x.trustListBytes)
          out.warnings.push(
            `${name}: the Exchange export has no trust list (SMIMECertificateIssuingCA is null)`,
          );
        else sizes.push(x.trustListBytes.length);
        out.certificates.push(...x.certificates);
        out.exports.push({ file: name, properties: x.properties });
        continue;
      }
      const r = readCertificateBytes(bytes, name, opts);
      sizes.push(isSst(bytes) ? bytes.length : Number.NaN);
      out.certificates.push(...r.certificates);
      out.warnings.push(...r.warnings);
      continue;
    }
    sizes.push(Number.NaN);
    const loaded = await loadCertificates([input], opts);
    out.certificates.push(...loaded.certificates);
    out.warnings.push(...loaded.warnings);
    out.skipped.push(...loaded.skipped);
  }
  if (sizes.length === 1 && !Number.isNaN(sizes[0])) out.sstBytes = sizes[0];
  return out;
}

/** Non-CA certificates from --leaf inputs (CA certificates there are ignored with a warning). */
export async function loadLeaves(
  inputs: readonly string[] | undefined,
  warnings: string[],
  password?: string,
  opts: LoadOptions & { skipped?: SkippedFile[] } = {},
): Promise<Certificate[]> {
  if (!inputs || inputs.length === 0) return [];
  const { skipped, ...lo } = opts;
  const loaded = await loadCertificates(inputs, { ...lo, password });
  warnings.push(...loaded.warnings);
  skipped?.push(...loaded.skipped);
  const leaves = loaded.certificates.filter((c) => !c.isCA);
  for (const c of loaded.certificates)
    if (c.isCA) warnings.push(`--leaf: ignored CA certificate '${c.name}' (${c.sha1})`);
  if (leaves.length === 0) throw new UsageError("--leaf: no user certificates found in the inputs");
  return leaves;
}
