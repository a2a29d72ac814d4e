/**
 * The monitor's decisions, pure: expiry tiers, and what changed since the last run. An alert goes out for
 * a new finding, a higher severity, a further expiry threshold crossed, and a finding that went away
 * (resolved). Nothing else: an unchanged finding (even one whose "days left" ticks down) is silent.
 */

import { daysLeft } from "../audit/check.js";
import { type Problem, type ProblemCode, type Severity, severityRank } from "../problems.js";
import type { RepeatRule, Threshold } from "./config.js";

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
  owner?: string;
  labels?: Record<string, string>;
  /** A successor (same subject and key identifiers, later notAfter) is watched beside this certificate. */
  superseded?: { sha1: string; notAfter: number };
}

/** Why a finding sends nothing now: a snooze (database) or an accept (monitor.json). */
export interface Mute {
  kind: "snooze" | "accept";
  /** "snooze 3", "accept[0]". */
  id: string;
  until: number;
  reason: string;
  by?: string;
  /** Snooze: the highest severity and most urgent tier its findings had when it was made (worse breaks through). */
  severity?: Severity;
  tier?: string;
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
  owner?: string;
  labels?: Record<string, string>;
  superseded?: { sha1: string; notAfter: number };
  /** When it was first seen (ms). */
  since: number;
  /** When an alert about it last went out (not counting muted ones). */
  notifiedAt?: number;
  /** What silenced it at the last run. */
  muted?: Mute;
}

/**
 * new, escalated (higher severity), threshold (a narrower expiry tier), resolved; repeat (a reminder of the
 * `repeat` rules), superseded (a successor exists: the last word about it), unmuted (its snooze ended or its
 * accept expired while it is still open).
 */
export type AlertKind = "new" | "escalated" | "threshold" | "resolved" | "repeat" | "superseded" | "unmuted";

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
  owner?: string;
  labels?: Record<string, string>;
  superseded?: { sha1: string; notAfter: number };
  /** Recorded but not sent: a snooze or an accept silenced it, or its certificate was superseded. */
  suppressed?: "snoozed" | "accepted" | "superseded";
  /** One sentence of context (the snooze it broke through, the accept that expired). */
  note?: string;
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

export interface EvaluateOptions {
  /** Reminder rules, narrowest `below` first. */
  repeat?: readonly RepeatRule[];
  /** The snooze or accept that silences a finding now, if any. */
  mute?: (f: MonitorFinding | StateEntry) => Mute | undefined;
}

/** A run's start time drifts by seconds to minutes: a reminder due "every 7 days" is due an hour early too. */
const REPEAT_SLACK_MS = 3_600_000;

/** The repeat rule that applies with `days` left: the one with the smallest `below` above it. */
export function repeatRule(days: number, rules: readonly RepeatRule[]): RepeatRule | undefined {
  let best: RepeatRule | undefined;
  for (const r of rules) if (days < r.below && (!best || r.below < best.below)) best = r;
  return best;
}

function muteText(m: Mute): string {
  return m.kind === "snooze"
    ? `snoozed until ${new Date(m.until).toISOString().slice(0, 16).replace("T", " ")} UTC by ${m.by ?? "?"}: ${m.reason}`
    : `accepted in ${m.id} until ${new Date(m.until).toISOString().slice(0, 10)}: ${m.reason}`;
}

/**
 * Whether a finding is worse than its snooze allowed: a higher severity than it had when snoozed, or expiry
 * itself. An accept is never broken through (it is a decision, with its own expiry date).
 */
function breaksThrough(f: { severity: Severity; tier?: string }, m: Mute): boolean {
  if (m.kind !== "snooze") return false;
  if (f.tier === "expired" && m.tier !== "expired") return true;
  return m.severity !== undefined && severityRank(f.severity) > severityRank(m.severity);
}

/** Compares this run's findings with the open findings of the previous run. */
export function evaluate(
  previous: readonly StateEntry[],
  current: readonly MonitorFinding[],
  now: number,
  opts: EvaluateOptions = {},
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
      ...(f.owner !== undefined ? { owner: f.owner } : {}),
      ...(f.labels && Object.keys(f.labels).length ? { labels: f.labels } : {}),
      ...(f.superseded ? { superseded: f.superseded } : {}),
      ...(p?.notifiedAt !== undefined ? { notifiedAt: p.notifiedAt } : {}),
    };
    state.push(entry);
    const mute = opts.mute?.(f);
    let kind: AlertKind | undefined;
    let note: string | undefined;
    if (f.superseded) {
      // One notice when the successor appears, then silence (no threshold, no repeat, no resolved).
      if (!p?.superseded) kind = "superseded";
    } else if (!p) kind = "new";
    else if (severityRank(f.severity) > severityRank(p.severity)) kind = "escalated";
    else if (f.tier !== undefined && tierUrgency(f.tier) < tierUrgency(p.tier)) kind = "threshold";
    else if (p.muted && !mute) {
      kind = "unmuted";
      note =
        p.muted.kind === "snooze"
          ? `The snooze by ${p.muted.by ?? "?"} (${p.muted.reason}) is over.`
          : p.muted.until <= now
            ? `The exception ${p.muted.id} (${p.muted.reason}) expired on ${new Date(p.muted.until).toISOString().slice(0, 10)}.`
            : `The exception ${p.muted.id} (${p.muted.reason}) is no longer in the configuration.`;
    } else if (f.tier !== undefined && f.notAfter !== undefined && opts.repeat?.length) {
      // Reminders are about expiry: other findings about a certificate (a weak signature) do not repeat.
      const rule = repeatRule(daysLeft(f.notAfter, now), opts.repeat);
      const last = p.notifiedAt ?? p.since;
      if (rule && now - last >= rule.everyDays * DAY_MS - REPEAT_SLACK_MS) kind = "repeat";
    }
    let suppressed: Alert["suppressed"];
    if (mute) {
      if (breaksThrough(f, mute)) {
        if (kind) note = `Worse than when it was ${muteText(mute)}.`;
      } else {
        entry.muted = mute;
        if (kind) suppressed = mute.kind === "snooze" ? "snoozed" : "accepted";
      }
    }
    // A silenced reminder is not worth a row: it would be one every run.
    if (!kind || (suppressed && kind === "repeat")) continue;
    if (!suppressed) entry.notifiedAt = now;
    alerts.push({
      ...alertOf(entry, kind, now),
      ...(p && (kind === "escalated" || kind === "threshold") ? { previousSeverity: p.severity } : {}),
      ...(suppressed ? { suppressed } : {}),
      ...(note ? { note } : {}),
    });
  }
  for (const p of previous) {
    if (seen.has(p.key)) continue;
    const mute = opts.mute?.(p);
    const suppressed: Alert["suppressed"] = p.superseded
      ? "superseded"
      : mute
        ? mute.kind === "snooze"
          ? "snoozed"
          : "accepted"
        : undefined;
    alerts.push({ ...alertOf(p, "resolved", now), ...(suppressed ? { suppressed } : {}) });
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
    ...(s.owner !== undefined ? { owner: s.owner } : {}),
    ...(s.labels ? { labels: s.labels } : {}),
    ...(s.superseded ? { superseded: s.superseded } : {}),
  };
}

/** Whether an alert should go to a sink with this minimum severity. */
export function passes(a: Alert, min: Severity): boolean {
  return severityRank(a.severity) >= severityRank(min);
}
