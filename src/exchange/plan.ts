/**
 * The plan: what applying a desired state to the tenant an export describes would change, and what
 * Exchange would refuse, before anyone runs anything. The desired .sst is built by buildTrustStore, the
 * same code as `smimetrust build` and `exchange script`, so the plan's refusals are theirs.
 */

import { diffTrustLists, type ReplacedPair } from "../audit/diff.js";
import { type Problem, problem } from "../problems.js";
import {
  type BuildResult,
  buildTrustStore,
  EXCHANGE_MAX_SST_BYTES,
  ExchangeRefusalError,
} from "../trust/build-store.js";
import type { Certificate } from "../x509/certificate.js";
import type { SettingIssue } from "./config.js";
import type { SmimeExport } from "./export.js";
import { SETTING_NAMES, type SettingName, type SettingValue, sameSettingValue } from "./settings.js";

export interface DesiredInput {
  /** The certificates the config's trust paths name; undefined when the config leaves the trust list alone. */
  certificates?: Certificate[];
  settings: Partial<Record<SettingName, SettingValue>>;
  /** Setting faults found by parseConfig (unknown keys, bad values). */
  issues?: SettingIssue[];
}

export interface SettingChange {
  name: SettingName;
  /** The current value; undefined when the export does not have the property. */
  from: SettingValue | undefined;
  to: SettingValue;
}

export interface TrustPlan {
  currentCount: number;
  currentBytes: number;
  currentSha256: string | null;
  desiredCount: number;
  desiredBytes: number;
  desiredSha256: string | null;
  added: Certificate[];
  removed: Certificate[];
  replaced: ReplacedPair[];
  unchanged: Certificate[];
  /** Non-CA certificates among the inputs, left out of the list. */
  leftOut: Certificate[];
  /** True when the upload changes which certificates are trusted. */
  changesCertificates: boolean;
  /** True when the bytes to upload differ from the stored ones (the script uploads only then). */
  changesBytes: boolean;
  /** What Get-SmimeConfig will report after the upload (earliest NotAfter and its thumbprint). */
  earliest?: Certificate;
  /** The built store, when Exchange would take it. */
  build?: BuildResult;
}

export type PlanStatus = "no-changes" | "changes" | "refused";

export interface ExchangePlan {
  status: PlanStatus;
  /** null when the config does not manage the trust list. */
  trust: TrustPlan | null;
  settings: SettingChange[];
  /** Desired settings that already have their value. */
  unchangedSettings: SettingName[];
  /** What Exchange would refuse (each an error-level Problem). */
  refusals: Problem[];
  /** What Exchange would take but will soon break (certificates expiring within `warnDays`). */
  warnings: Problem[];
}

export interface PlanOptions {
  /** Warn about certificates in the new list that expire within this many days (default 30). */
  warnDays?: number;
}

const DAY_MS = 86_400_000;

function planTrust(
  current: SmimeExport,
  desired: Certificate[],
  now: number,
  refusals: Problem[],
): TrustPlan {
  let build: BuildResult | undefined;
  let usable: BuildResult | undefined;
  let tooLarge: string | undefined;
  let opts = { now, dropExpired: false, maxBytes: EXCHANGE_MAX_SST_BYTES };
  // Each refusal is recorded, then the build is repeated past it, so one plan shows every refusal.
  for (let attempt = 0; attempt < 3 && !usable; attempt++) {
    try {
      usable = buildTrustStore(desired, opts);
      if (attempt === 0) build = usable;
    } catch (e) {
      if (!(e instanceof ExchangeRefusalError)) throw e;
      if (e.code === "ERR_EXPIRED_IN_LIST") {
        for (const c of e.certificates)
          refusals.push(
            problem("TRUST_EXPIRED", {
              name: c.name,
              sha1: c.sha1,
              date: new Date(c.notAfter).toISOString().slice(0, 10),
            }),
          );
        opts = { ...opts, dropExpired: true };
      } else if (e.code === "ERR_SST_TOO_LARGE") {
        tooLarge = /largest: (.*)$/.exec(e.message)?.[1] ?? "";
        opts = { ...opts, maxBytes: Number.MAX_SAFE_INTEGER };
      } else {
        refusals.push(
          problem("TRUST_LIST_EMPTY", {
            detail: desired.length ? ": none of the inputs is a CA certificate" : "",
          }),
        );
        break;
      }
    }
  }
  if (tooLarge !== undefined)
    refusals.push(
      problem("SST_TOO_LARGE", { bytes: usable?.bytes.length, detail: tooLarge && `largest: ${tooLarge}` }),
    );
  const listed = usable?.certificates ?? [];
  const diff = diffTrustLists(current.certificates, listed);
  const currentSha256 = current.trustListSha256;
  return {
    currentCount: current.certificates.length,
    currentBytes: current.trustListBytes?.length ?? 0,
    currentSha256,
    desiredCount: listed.length,
    desiredBytes: usable?.bytes.length ?? 0,
    desiredSha256: usable?.sha256 ?? null,
    ...diff,
    leftOut: usable?.leaves ?? [],
    changesCertificates: diff.added.length + diff.removed.length + diff.replaced.length > 0,
    changesBytes: (usable?.sha256 ?? null) !== currentSha256,
    earliest: usable?.earliest,
    build,
  };
}

/** Compares the desired state with an export. Pure: `now` is the clock against which expiry is judged. */
export function makePlan(
  current: SmimeExport,
  desired: DesiredInput,
  now: number,
  opts: PlanOptions = {},
): ExchangePlan {
  const refusals: Problem[] = [];
  for (const i of desired.issues ?? [])
    refusals.push(problem("SETTING_INVALID", { name: i.key.replace(/^settings\./, ""), detail: i.message }));
  const trust = desired.certificates ? planTrust(current, desired.certificates, now, refusals) : null;
  const settings: SettingChange[] = [];
  const unchangedSettings: SettingName[] = [];
  for (const name of SETTING_NAMES) {
    if (!Object.hasOwn(desired.settings, name)) continue;
    const to = desired.settings[name] as SettingValue;
    const from = Object.hasOwn(current.settings, name) ? current.settings[name] : undefined;
    if (from !== undefined && sameSettingValue(name, from, to)) unchangedSettings.push(name);
    else settings.push({ name, from, to });
  }
  const changes =
    settings.length > 0 || (trust !== null && (trust.changesCertificates || trust.changesBytes));
  const warnings: Problem[] = [];
  const horizon = now + (opts.warnDays ?? 30) * DAY_MS;
  for (const c of trust?.build?.certificates ?? []) {
    if (c.notAfter >= now && c.notAfter <= horizon) {
      warnings.push(
        problem("TRUST_EXPIRING", {
          name: c.name,
          sha1: c.sha1,
          date: new Date(c.notAfter).toISOString().slice(0, 10),
          days: Math.floor((c.notAfter - now) / DAY_MS),
        }),
      );
    }
  }
  return {
    status: refusals.length > 0 ? "refused" : changes ? "changes" : "no-changes",
    trust,
    settings,
    unchangedSettings,
    refusals,
    warnings,
  };
}
