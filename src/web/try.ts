/**
 * Try it: certificates dropped or pasted in the page become a trust list exactly as `build` makes it (the same
 * reader, the same refusals, the same bytes), with its apply script; a dropped message gets `verify`'s verdict.
 * Everything happens in memory: nothing uploaded is written anywhere.
 */
import { noEmailProtection } from "../audit/check.js";
import { UsageError } from "../errors.js";
import { generateApplyScript } from "../exchange/script.js";
import { readCertificateBytes } from "../formats/read.js";
import type { Problem } from "../problems.js";
import { Verifier } from "../smime/verifier.js";
import { type VerifyJson, verifyJson } from "../smime/verify-json.js";
import { type BuildResult, buildJson, buildTrustStore } from "../trust/build-store.js";
import type { Certificate } from "../x509/certificate.js";

export interface Upload {
  name: string;
  bytes: Uint8Array;
}

/** Largest upload taken in one request (all files together). */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

export interface TryBuild {
  result: BuildResult;
  warnings: string[];
  findings: Problem[];
  /** The `build --json` document (file: the name the download gets). */
  json: Record<string, unknown>;
  script: string;
}

/** Reads every upload as `build` reads files; an unreadable one throws its one-line error (named). */
export function readUploads(
  uploads: readonly Upload[],
  password?: string,
): { certificates: Certificate[]; warnings: string[] } {
  const certificates: Certificate[] = [];
  const warnings: string[] = [];
  for (const u of uploads) {
    const r = readCertificateBytes(u.bytes, u.name, { password });
    certificates.push(...r.certificates);
    warnings.push(...r.warnings);
    if (r.crls.length)
      warnings.push(`${u.name}: left out ${r.crls.length} CRL(s): the trust list holds certificates only`);
  }
  return { certificates, warnings };
}

export function tryBuild(
  uploads: readonly Upload[],
  opts: { now: number; dropExpired?: boolean; version: string; password?: string },
): TryBuild {
  if (uploads.length === 0) throw new UsageError("no files given: drop or paste certificates");
  const { certificates, warnings } = readUploads(uploads, opts.password);
  const result = buildTrustStore(certificates, {
    now: opts.now,
    format: "sst",
    dropExpired: opts.dropExpired,
  });
  for (const c of result.leaves) warnings.push(`left out '${c.name}' (${c.sha1}): not a CA certificate`);
  for (const c of result.droppedExpired)
    warnings.push(`left out '${c.name}' (${c.sha1}): expired ${new Date(c.notAfter).toISOString()}`);
  const findings = result.certificates.map(noEmailProtection).filter((f): f is Problem => f !== undefined);
  const json = buildJson(result, { file: "trust.sst", warnings: findings });
  const script = generateApplyScript({
    purpose: "apply",
    trust: { kind: "embed", bytes: result.bytes },
    certificates: result.certificates.map((c) => ({ name: c.name, sha1: c.sha1, notAfter: c.notAfter })),
    settings: [],
    connect: {},
    meta: { version: opts.version, generatedAt: opts.now, source: "smimetrust serve" },
  });
  return { result, warnings, findings, json, script };
}

/** Verifies each message against the served trust list, as `verify --trust <list>` does (at the present time). */
export async function tryVerify(
  uploads: readonly Upload[],
  trust: readonly Certificate[],
  now: number,
): Promise<VerifyJson[]> {
  if (trust.length === 0) throw new UsageError("the dashboard serves no trust list to verify against");
  const v = new Verifier({ trust: trust.map((c) => c.der), at: now, now });
  const out: VerifyJson[] = [];
  for (const u of uploads) out.push(verifyJson(u.name, await v.verify(u.bytes)));
  return out;
}
