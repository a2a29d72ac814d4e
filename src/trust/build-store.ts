/**
 * Builds the trust-list file Exchange Online takes, with Exchange's own refusals applied before
 * anything is written: CA certificates only (roots, each followed by its intermediates), no expired
 * certificate, no more than 70,000 bytes. Used by `build` and by the Exchange script generator.
 */

import { createCertsOnlyPkcs7 } from "../cms/certs-only.js";
import { RefusedError } from "../errors.js";
import { createSst } from "../formats/sst.js";
import { digest, hexUpper } from "../lib/bytes.js";
import { LIST_MAX, listSome } from "../lib/list.js";
import type { Problem } from "../problems.js";
import type { Certificate } from "../x509/certificate.js";
import { TrustList } from "./trust-list.js";

/** Exchange Online's server code refuses larger uploads. */
export const EXCHANGE_MAX_SST_BYTES = 70_000;

export type StoreFormat = "sst" | "p7b" | "pem";

export interface BuildOptions {
  /** The clock (ms) against which expiry is judged. */
  now: number;
  format?: StoreFormat;
  /** Leave expired certificates out instead of refusing. */
  dropExpired?: boolean;
  /** Write property 11 (friendly name) for each certificate: its subject CN. */
  friendlyNames?: boolean;
  /** Size limit to enforce (for sst); defaults to Exchange's 70,000 bytes. */
  maxBytes?: number;
}

export interface BuildResult {
  format: StoreFormat;
  bytes: Uint8Array;
  /** Certificates written, in file order. */
  certificates: Certificate[];
  /** Leaf (non-CA) certificates left out. */
  leaves: Certificate[];
  /** Expired certificates left out (only with dropExpired). */
  droppedExpired: Certificate[];
  /** How many duplicate copies were removed. */
  duplicates: number;
  /** The certificate that expires first: Get-SmimeConfig's SMIMECertificatesExpiryDate / SMIMEExpiredCertificateThumbprint. */
  earliest?: Certificate;
  sha256: string;
}

/** Error codes of the refusals, stable for scripts. */
export class ExchangeRefusalError extends RefusedError {
  override readonly code: "ERR_EXPIRED_IN_LIST" | "ERR_SST_TOO_LARGE" | "ERR_EMPTY_LIST";
  readonly certificates: Certificate[];
  constructor(
    code: ExchangeRefusalError["code"],
    message: string,
    certificates: Certificate[] = [],
    file?: string,
  ) {
    super(message, { file });
    this.code = code;
    this.certificates = certificates;
  }

  /** Every certificate concerned (the message names the first few), for --json. */
  toJson(): {
    code: string;
    message: string;
    certificates: { subject: string; sha1: string; notAfter: string }[];
  } {
    return {
      code: this.code,
      message: this.message,
      certificates: this.certificates.map((c) => ({
        subject: c.subject.toString(),
        sha1: c.sha1,
        notAfter: new Date(c.notAfter).toISOString(),
      })),
    };
  }
}

export function buildTrustStore(input: readonly Certificate[], opts: BuildOptions): BuildResult {
  const format = opts.format ?? "sst";
  const list = new TrustList(input);
  const duplicates = input.length - list.size;
  const leaves = list.certificates.filter((c) => c.role === "leaf");
  const cas = new TrustList(list.certificates.filter((c) => c.role !== "leaf"));
  const expired = cas.certificates.filter((c) => c.notAfter < opts.now);
  if (expired.length > 0 && !opts.dropExpired) {
    throw new ExchangeRefusalError(
      "ERR_EXPIRED_IN_LIST",
      `Exchange refuses a list with expired certificates: ${expired.length > LIST_MAX ? `${expired.length} of them: ` : ""}${listSome(expired.map((c) => `'${c.name}' (${c.sha1}, expired ${new Date(c.notAfter).toISOString().slice(0, 10)})`))}; remove them or use --drop-expired${expired.length > LIST_MAX ? " (--json lists them all)" : ""}`,
      expired,
    );
  }
  const kept = new TrustList(cas.certificates.filter((c) => c.notAfter >= opts.now));
  const certificates = kept.ordered();
  if (certificates.length === 0) {
    throw new ExchangeRefusalError(
      "ERR_EMPTY_LIST",
      "no CA certificates to write (Set-SmimeConfig needs at least one root)",
    );
  }
  let bytes: Uint8Array;
  switch (format) {
    case "sst":
      bytes = createSst(
        certificates.map((c) => (opts.friendlyNames ? { der: c.der, friendlyName: c.name } : { der: c.der })),
      );
      break;
    case "p7b":
      bytes = createCertsOnlyPkcs7(certificates.map((c) => c.der));
      break;
    case "pem":
      bytes = Buffer.from(
        certificates.map((c) => `# ${c.subject.toString()}\n# SHA-1 ${c.sha1}\n${c.toPem()}`).join("\n"),
        "utf8",
      );
      break;
  }
  const max = opts.maxBytes ?? EXCHANGE_MAX_SST_BYTES;
  if (format === "sst" && bytes.length > max) {
    const largest = [...certificates].sort((a, b) => b.der.length - a.der.length).slice(0, 3);
    throw new ExchangeRefusalError(
      "ERR_SST_TOO_LARGE",
      `the .sst would be ${bytes.length} bytes, ${bytes.length - max} over Exchange's limit of ${max}; largest: ${largest
        .map((c) => `'${c.name}' (${c.sha1}, ${c.der.length} bytes)`)
        .join(", ")}`,
      largest,
    );
  }
  const earliest = certificates.reduce<Certificate | undefined>(
    (a, c) => (!a || c.notAfter < a.notAfter ? c : a),
    undefined,
  );
  return {
    format,
    bytes,
    certificates,
    leaves,
    droppedExpired: opts.dropExpired ? expired : [],
    duplicates,
    earliest,
    sha256: hexUpper(digest("sha256", bytes)),
  };
}

/**
 * The JSON document `build --json` prints (and `serve`'s try-a-build answers): the store written, what was left
 * out, check's warnings, and what Get-SmimeConfig will report. `extra` goes after the warnings (`skipped`).
 */
export function buildJson(
  result: BuildResult,
  opts: { file: string; warnings: readonly Problem[]; backup?: string; extra?: Record<string, unknown> },
) {
  const e = result.earliest;
  return {
    file: opts.file,
    format: result.format,
    bytes: result.bytes.length,
    sha256: result.sha256,
    certificates: result.certificates.map((c) => ({
      subject: c.subject.toString(),
      sha1: c.sha1,
      notAfter: new Date(c.notAfter).toISOString(),
      role: c.role,
    })),
    leftOut: {
      leaves: result.leaves.map((c) => c.sha1),
      expired: result.droppedExpired.map((c) => c.sha1),
      duplicates: result.duplicates,
    },
    warnings: opts.warnings,
    ...opts.extra,
    SMIMECertificatesExpiryDate: e ? new Date(e.notAfter).toISOString() : null,
    SMIMEExpiredCertificateThumbprint: e?.sha1 ?? null,
    backup: opts.backup ?? null,
  };
}
