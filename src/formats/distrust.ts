/**
 * Windows' per-certificate distrust properties in a serialized store (shared/fixtures/sst/README.md; ids from
 * wincrypt.h). Windows Update's root lists carry them for CAs Microsoft's root program has distrusted:
 *   104 CERT_DISALLOWED_FILETIME_PROP_ID      FILETIME: Windows trusts the CA for nothing after this time
 *   126 CERT_NOT_BEFORE_FILETIME_PROP_ID      FILETIME: certificates it issued after this time are not trusted
 *   127 CERT_NOT_BEFORE_ENHKEY_USAGE_PROP_ID  DER SEQUENCE OF OID: ... for these purposes only (else for all)
 *    83 CERT_ROOT_PROGRAM_CERT_POLICIES_PROP_ID  DER: the root program's policies for the CA
 * A FILETIME is a little-endian uint64 of 100-nanosecond intervals since 1601-01-01 UTC. Windows also writes
 * 104 and 126 empty (no date): those mark nothing.
 */
import { DerReader, decodeOidEl, parseOne } from "../lib/der.js";
import { oidName } from "../lib/oids.js";

export const DISTRUST_PROP = {
  disallowedFiletime: 104,
  notBeforeFiletime: 126,
  notBeforeEnhkeyUsage: 127,
  rootProgramCertPolicies: 83,
} as const;

/** 1601-01-01 to 1970-01-01 in milliseconds. */
const FILETIME_EPOCH_MS = 11_644_473_600_000;

export interface SstDistrust {
  /** Windows trusts the CA for nothing after this time (ms), from property 104. */
  disallowedAfter?: number;
  /** Certificates the CA issued after this time (ms) are not trusted, from property 126 ... */
  notBefore?: number;
  /** ... for these purposes (OIDs) only, from property 127; undefined: for every purpose. */
  notBeforeEku?: string[];
  /** Size of the root program's policies (property 83), when present. */
  rootProgramPolicies?: number;
}

/** The time (ms) of an 8-byte FILETIME; undefined for an empty or odd-sized value. */
export function filetimeToMs(v: Uint8Array): number | undefined {
  if (v.length !== 8) return undefined;
  const dv = new DataView(v.buffer, v.byteOffset, 8);
  const ticks = dv.getBigUint64(0, true);
  return Number(ticks / 10_000n) - FILETIME_EPOCH_MS;
}

/** An 8-byte FILETIME for a time (ms). */
export function msToFiletime(ms: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(ms + FILETIME_EPOCH_MS) * 10_000n, true);
  return out;
}

function ekuList(v: Uint8Array): string[] | undefined {
  try {
    const r = DerReader.of(parseOne(v, "enhanced key usage"));
    const out: string[] = [];
    while (!r.done) out.push(decodeOidEl(r.read()));
    return out;
  } catch {
    return undefined;
  }
}

/** The distrust a certificate's .sst properties mark; undefined when they mark none. */
export function sstDistrust(
  properties: readonly { id: number; value: Uint8Array }[] | undefined,
): SstDistrust | undefined {
  if (!properties?.length) return undefined;
  const d: SstDistrust = {};
  for (const p of properties) {
    if (p.id === DISTRUST_PROP.disallowedFiletime) d.disallowedAfter = filetimeToMs(p.value);
    else if (p.id === DISTRUST_PROP.notBeforeFiletime) d.notBefore = filetimeToMs(p.value);
    else if (p.id === DISTRUST_PROP.notBeforeEnhkeyUsage && p.value.length) d.notBeforeEku = ekuList(p.value);
    else if (p.id === DISTRUST_PROP.rootProgramCertPolicies && p.value.length)
      d.rootProgramPolicies = p.value.length;
  }
  if (d.disallowedAfter === undefined) delete d.disallowedAfter;
  if (d.notBefore === undefined) delete d.notBefore;
  if (d.notBeforeEku === undefined) delete d.notBeforeEku;
  if (d.rootProgramPolicies === undefined) delete d.rootProgramPolicies;
  return d.disallowedAfter !== undefined || d.notBefore !== undefined ? d : undefined;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One plain sentence: what Windows does with the certificate because of these properties. */
export function describeDistrust(d: SstDistrust): string {
  const parts: string[] = [];
  if (d.disallowedAfter !== undefined)
    parts.push(`Windows trusts it for nothing after ${day(d.disallowedAfter)} (property 104)`);
  if (d.notBefore !== undefined) {
    const eku = d.notBeforeEku?.length ? d.notBeforeEku.map((o) => oidName(o)).join(", ") : undefined;
    parts.push(
      eku
        ? `certificates it issued after ${day(d.notBefore)} are not trusted for ${eku} (properties 126 and 127)`
        : `certificates it issued after ${day(d.notBefore)} are not trusted (property 126)`,
    );
  }
  return parts.join("; ");
}
