/**
 * One tenant's live configuration as the export/backup JSON the PowerShell scripts write (Get-SmimeConfig's
 * properties by their own names, SMIMECertificateIssuingCA as base64 or null), and the apply: only what
 * differs is sent, then read back until the SHA-256 and the settings match.
 */
import { assertNoIssues, type DesiredState } from "../exchange/config.js";
import { readSmimeExport, type SmimeExport } from "../exchange/export.js";
import { rollbackSettings } from "../exchange/script.js";
import { type SettingName, type SettingValue, sameSettingValue } from "../exchange/settings.js";
import { digest, hexUpper } from "../lib/bytes.js";
import { buildTrustStore, EXCHANGE_MAX_SST_BYTES, ExchangeRefusalError } from "../trust/build-store.js";
import type { Certificate } from "../x509/certificate.js";
import type { ExchangeOnlineClient } from "./client.js";
import { decodeByteArray } from "./client.js";
import { ExchangeApiError } from "./errors.js";

/** A date as the scripts write it (yyyy-MM-ddTHH:mm:ssZ); other text is kept as it is. */
function normaliseDate(v: string): string {
  const ms = /^\/Date\((-?\d+)\)\/$/.exec(v);
  const t = ms
    ? Number(ms[1])
    : /^\d{4}-\d\d-\d\dT/.test(v)
      ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`)
      : Number.NaN;
  return Number.isNaN(t) ? v : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Get-SmimeConfig's object as the export document (same shape as ConvertTo-SmimeExport in helpers.ps1). */
export function toExportDocument(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(props)) {
    if (name.startsWith("@") || name.includes("@odata.")) continue;
    if (name === "SMIMECertificateIssuingCA") {
      const b = decodeByteArray(value);
      out[name] = b ? Buffer.from(b).toString("base64") : null;
    } else if (value === null || value === undefined) out[name] = null;
    else if (typeof value === "string") out[name] = name.endsWith("Date") ? normaliseDate(value) : value;
    else if (typeof value === "boolean" || typeof value === "number") out[name] = value;
    else out[name] = Array.isArray(value) ? value.map(String).join(" ") : JSON.stringify(value);
  }
  return out;
}

export interface LiveConfig {
  /** The export/backup JSON text. */
  json: string;
  export: SmimeExport;
  /** Get-SmimeConfig's object as it came. */
  raw: Record<string, unknown>;
}

export async function readLive(client: ExchangeOnlineClient, label: string): Promise<LiveConfig> {
  const props = await client.getSmimeConfig();
  const json = `${JSON.stringify(toExportDocument(props), null, 2)}\n`;
  try {
    return { json, export: readSmimeExport(new Uint8Array(Buffer.from(json)), label), raw: props };
  } catch (e) {
    throw new ExchangeApiError(`Get-SmimeConfig's answer cannot be read: ${(e as Error).message}`);
  }
}

/** What an apply (or a restore) wants Exchange to hold. */
export interface Target {
  /** undefined: the trust list is left alone; bytes null: cleared. */
  trust?: {
    bytes: Uint8Array | null;
    sha256: string | null;
    earliest?: Certificate;
    certificates: Certificate[];
  };
  settings: [SettingName, SettingValue][];
}

/**
 * The target of a desired state, with the same refusals as `build` (an expired certificate, over 70,000
 * bytes, no CA) and the config's setting faults, before any request.
 */
export function targetOf(state: DesiredState, certificates: Certificate[] | undefined, now: number): Target {
  assertNoIssues(state);
  const settings = Object.entries(state.settings) as [SettingName, SettingValue][];
  if (!certificates) return { settings };
  const b = buildTrustStore(certificates, { now, maxBytes: EXCHANGE_MAX_SST_BYTES });
  return {
    trust: { bytes: b.bytes, sha256: b.sha256, earliest: b.earliest, certificates: b.certificates },
    settings,
  };
}

/** The target of a backup: its exact bytes and every setting it has (refused when a certificate has expired). */
export function targetOfBackup(backup: SmimeExport, now: number): Target {
  const expired = backup.certificates.filter((c) => c.notAfter < now);
  if (backup.trustListBytes && expired.length)
    throw new ExchangeRefusalError(
      "ERR_EXPIRED_IN_LIST",
      `Exchange would refuse to restore this trust list: ${expired.map((c) => `'${c.name}' (${c.sha1}) expired ${new Date(c.notAfter).toISOString().slice(0, 10)}`).join(", ")}`,
      expired,
      backup.file,
    );
  const earliest = [...backup.certificates].sort((a, b) => a.notAfter - b.notAfter)[0];
  return {
    trust: {
      bytes: backup.trustListBytes,
      sha256: backup.trustListSha256,
      earliest,
      certificates: backup.certificates,
    },
    settings: rollbackSettings(backup.settings),
  };
}

/** The Set-SmimeConfig parameters that differ, by name (a Uint8Array for the list, null to clear it). */
export function changesFor(current: SmimeExport, target: Target): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (target.trust && target.trust.sha256 !== current.trustListSha256)
    out.SMIMECertificateIssuingCA = target.trust.bytes;
  for (const [name, value] of target.settings) {
    const from = Object.hasOwn(current.settings, name) ? current.settings[name] : undefined;
    if (from === undefined || !sameSettingValue(name, from, value)) out[name] = value;
  }
  return out;
}

const show = (v: unknown) =>
  v === null || v === undefined ? "(not set)" : typeof v === "string" ? `'${v}'` : String(v);

/** What still differs between a read-back and the target (empty when it matches). */
export function mismatches(after: SmimeExport, target: Target): string[] {
  const out: string[] = [];
  if (target.trust && after.trustListSha256 !== target.trust.sha256)
    out.push(
      `SMIMECertificateIssuingCA has SHA-256 ${after.trustListSha256 ?? "(no trust list)"}, expected ${target.trust.sha256 ?? "(no trust list)"}`,
    );
  for (const [name, value] of target.settings) {
    const v = after.settings[name];
    if (v === undefined || !sameSettingValue(name, v, value))
      out.push(`${name} is ${show(v)}, expected ${show(value)}`);
  }
  return out;
}

export interface VerifyOptions {
  attempts: number;
  delayMs: number;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
}

/** Sends the changes, then reads back until everything matches (or the attempts run out). */
export async function applyAndVerify(
  client: ExchangeOnlineClient,
  label: string,
  target: Target,
  changes: Record<string, unknown>,
  opts: VerifyOptions,
): Promise<{ after: SmimeExport; attempts: number; warnings: string[] }> {
  const warnings = await client.setSmimeConfig(changes);
  let failures: string[] = [];
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const after = (await readLive(client, label)).export;
    failures = mismatches(after, target);
    if (failures.length === 0) return { after, attempts: attempt, warnings };
    if (attempt < opts.attempts) {
      opts.log(
        `read-back ${attempt} of ${opts.attempts} does not show the change yet; trying again in ${Math.round(opts.delayMs / 1000)} s`,
      );
      await opts.sleep(opts.delayMs);
    }
  }
  throw new ExchangeApiError(`verification failed: ${failures.join("; ")}`);
}

export function sha256Hex(b: Uint8Array): string {
  return hexUpper(digest("sha256", b));
}
