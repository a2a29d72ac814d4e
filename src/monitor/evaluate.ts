/**
 * The monitor's decisions, pure: expiry tiers, and what changed since the last run. An alert goes out for
 * a new finding, a higher severity, a further expiry threshold crossed, and a finding that went away
 * (resolved). Nothing else: an unchanged finding (even one whose "days left" ticks down) is silent.
 */

import { daysLeft } from "../audit/check.js";
import { type Problem, type ProblemCode, type Severity, severityRank } from "../problems.js";
import type { Threshold } from "./config.js";

export const DAY_MS = 86_400_000;

export interface MonitorFinding extends Problem {
  /** Stable identity across runs: scope | kind | certificate. */
  key: string;
  /** The trust list or user-certificate set it was found in. */
  scope: string;
  /** Expiry tier ("90d", "30d", "7d", "expired") for expiry findings. */
  tier?: string;
  subject?: string;
  notAfter?: number;
}

export interface StateEntry {
  key: string;
  scope: string;
  code: ProblemCode;
  severity: Severity;
  message: string;
  hint?: string;
  cert?: string;
  tier?: string;
  subject?: string;
  notAfter?: number;
  /** When it was first seen (ms). */
  since: number;
}

export type AlertKind = "new" | "escalated" | "threshold" | "resolved";

export interface Alert {
  kind: AlertKind;
  key: string;
  scope: string;
  code: string;
  severity: Severity;
  message: string;
  hint?: string;
  cert?: string;
  subject?: string;
  notAfter?: number;
  tier?: string;
  previousSeverity?: Severity;
  /** When the change was seen (ms). */
  at: number;
  /**
   * The change's one id, given when the run plans its messages: the idempotency key of its message (one
   * message per change), the `id` of the alert in a digest, and the `id=` of its log line.
   */
  id?: string;
}

export interface Tier {
  tier: string;
  severity: Severity;
  days: number;
}

export { daysAgo, daysLeft } from "../audit/check.js";

/**
 * The expiry tier a certificate is in: "expired" (error) once past notAfter; otherwise the narrowest
 * threshold whose window it has entered; undefined when it is outside every window.
 */
export function tierFor(notAfter: number, now: number, thresholds: readonly Threshold[]): Tier | undefined {
  const d = daysLeft(notAfter, now);
  if (notAfter < now) return { tier: "expired", severity: "error", days: d };
  let best: Threshold | undefined;
  for (const t of thresholds)
    if (notAfter - now <= t.days * DAY_MS && (!best || t.days < best.days)) best = t;
  return best ? { tier: `${best.days}d`, severity: best.severity, days: d } : undefined;
}

/** Lower is more urgent: "expired" -> -1, "7d" -> 7. */
export function tierUrgency(tier: string | undefined): number {
  if (tier === undefined) return Number.POSITIVE_INFINITY;
  if (tier === "expired") return -1;
  return Number.parseInt(tier, 10);
}

export interface Evaluation {
  alerts: Alert[];
  state: StateEntry[];
}

/** Compares this run's findings with the open findings of the previous run. */
export function evaluate(
  previous: readonly StateEntry[],
  current: readonly MonitorFinding[],
  now: number,
): Evaluation {
  const prev = new Map(previous.map((s) => [s.key, s]));
  const alerts: Alert[] = [];
  const state: StateEntry[] = [];
  const seen = new Set<string>();
  for (const f of current) {
    if (seen.has(f.key)) continue;
    seen.add(f.key);
    const p = prev.get(f.key);
    const entry: StateEntry = {
      key: f.key,
      scope: f.scope,
      code: f.code,
      severity: f.severity,
      message: f.message,
      since: p?.since ?? now,
      ...(f.hint !== undefined ? { hint: f.hint } : {}),
      ...(f.cert !== undefined ? { cert: f.cert } : {}),
      ...(f.tier !== undefined ? { tier: f.tier } : {}),
      ...(f.subject !== undefined ? { subject: f.subject } : {}),
      ...(f.notAfter !== undefined ? { notAfter: f.notAfter } : {}),
    };
    state.push(entry);
    let kind: AlertKind | undefined;
    if (!p) kind = "new";
    else if (severityRank(f.severity) > severityRank(p.severity)) kind = "escalated";
    else if (f.tier !== undefined && tierUrgency(f.tier) < tierUrgency(p.tier)) kind = "threshold";
    if (kind)
      alerts.push({
        ...alertOf(entry, kind, now),
        ...(p && kind !== "new" ? { previousSeverity: p.severity } : {}),
      });
  }
  for (const p of previous) {
    if (seen.has(p.key)) continue;
    alerts.push(alertOf(p, "resolved", now));
  }
  return { alerts, state };
}

function alertOf(s: StateEntry, kind: AlertKind, now: number): Alert {
  return {
    kind,
    key: s.key,
    scope: s.scope,
    code: s.code,
    severity: s.severity,
    message: s.message,
    at: now,
    ...(s.hint !== undefined && kind !== "resolved" ? { hint: s.hint } : {}),
    ...(s.cert !== undefined ? { cert: s.cert } : {}),
    ...(s.subject !== undefined ? { subject: s.subject } : {}),
    ...(s.notAfter !== undefined ? { notAfter: s.notAfter } : {}),
    ...(s.tier !== undefined ? { tier: s.tier } : {}),
  };
}

/** Whether an alert should go to a sink with this minimum severity. */
export function passes(a: Alert, min: Severity): boolean {
  return severityRank(a.severity) >= severityRank(min);
}
