/**
 * The monitor: one run = collect findings, compare with the stored state, record everything and queue the
 * alerts in one transaction, then deliver every pending message to every sink (a sink that is down keeps
 * its messages for the next run and does not hold up the others).
 */

import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import { isoUtc } from "../audit/check.js";
import { redactSecrets } from "../lib/redact.js";
import type { ChainValidator } from "../path/types.js";
import { problem, reaches, type Severity, severityRank } from "../problems.js";
import { renderCalendar } from "./calendar.js";
import { type CollectDeps, collect } from "./collect.js";
import type { MonitorConfig, SinkConfig, SinkRoute } from "./config.js";
import {
  type Alert,
  DAY_MS,
  evaluate,
  type MonitorFinding,
  type Mute,
  passes,
  type StateEntry,
} from "./evaluate.js";
import { type OutgoingMessage, type SummaryItem, utc } from "./messages.js";
import type { MetricsCertificate, MetricsSnapshot } from "./metrics.js";
import { ownerOf } from "./owners.js";
import { deliver, type SinkDeps, sinkSecrets } from "./sinks.js";
import type { MonitorStore, Snooze } from "./store.js";

export interface MonitorDeps {
  store: MonitorStore;
  now: () => number;
  /** Diagnostics and the log sink (stderr in the CLI). */
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  validate?: ChainValidator;
  fetch?: typeof fetch;
  mtime?: CollectDeps["mtime"];
  /** Reads Exchange Online sources (wired by the CLI from exchange-api/). */
  readExchangeTenants?: CollectDeps["readExchangeTenants"];
  /** Makes idempotency keys (tests pass a counter). */
  newId?: () => string;
  /** smimetrust's version (smimetrust_info, the calendar's PRODID). */
  version?: string;
}

export interface DeliveryReport {
  sent: { sink: string; message: string }[];
  failed: { sink: string; message: string; error: string }[];
}

export interface RunOutcome {
  runId: number;
  findings: MonitorFinding[];
  alerts: Alert[];
  messages: OutgoingMessage[];
  failures: { scope: string; error: string; whole: boolean }[];
  delivery: DeliveryReport;
  /** check's exit codes: 2 when a source could not be checked, 1 when a finding reaches failOn, else 0. */
  exitCode: 0 | 1 | 2;
}

function maxSeverity(a: Severity, b: Severity | undefined): Severity {
  return b && severityRank(b) > severityRank(a) ? b : a;
}

/** Whether a route's owners and labels match (its minSeverity is a floor, checked with the sink's). */
export function routeMatches(r: SinkRoute, a: { owner?: string; labels?: Record<string, string> }): boolean {
  if (r.owners && !(a.owner !== undefined && r.owners.includes(a.owner))) return false;
  for (const [k, v] of Object.entries(r.labels ?? {})) if (a.labels?.[k] !== v) return false;
  return true;
}

/**
 * The sinks (of `sinks`) that take an alert or finding: a routed sink when its route matches, a default
 * sink when no routed sink's owners/labels claimed it, any other sink always; each only at or above its
 * severity floor (the larger of alerts.minSeverity, the sink's and its route's minSeverity). A SINK_FAILED
 * finding is not sent to the sink it is about.
 */
export function sinksTaking(
  a: { owner?: string; labels?: Record<string, string>; severity: Severity; code: string; scope: string },
  sinks: readonly SinkConfig[],
  minSeverity: Severity,
): SinkConfig[] {
  const claimed = sinks.some((s) => s.route && routeMatches(s.route, a));
  return sinks.filter((s) => {
    if (a.code === "SINK_FAILED" && a.scope === `sink:${s.name}`) return false;
    const floor = maxSeverity(maxSeverity(minSeverity, s.minSeverity), s.route?.minSeverity);
    if (!passes(a as Alert, floor)) return false;
    if (s.route) return routeMatches(s.route, a);
    if (s.default) return !claimed;
    return true;
  });
}

/**
 * Groups alerts into messages for the sinks of mode "change": one per change, sent to every sink that takes
 * it (routes, defaults, severity floors), or with alerts.mode "digest" one message per run for each set of
 * sinks that take the same alerts. Silenced alerts (snoozed, accepted, superseded) go nowhere. Each alert gets
 * its one id here (kept in `alert.id`): a change's message has that id as its idempotency key in every sink,
 * and log lines and digests name it, so one change has one id everywhere.
 */
export function planMessages(
  alerts: readonly Alert[],
  sinks: readonly SinkConfig[],
  opts: { mode: "change" | "digest"; minSeverity: Severity; now: number; newId: () => string },
): { message: OutgoingMessage; sinks: string[] }[] {
  const changeSinks = sinks.filter((s) => s.mode !== "digest");
  for (const a of alerts) a.id ??= opts.newId();
  const out: { message: OutgoingMessage; sinks: string[] }[] = [];
  const live = alerts.filter((a) => !a.suppressed);
  if (opts.mode === "change") {
    for (const a of live) {
      const names = sinksTaking(a, changeSinks, opts.minSeverity).map((s) => s.name);
      if (names.length === 0) continue;
      out.push({
        message: { id: a.id!, createdAt: opts.now, kind: "alert", alerts: [a] },
        sinks: names,
      });
    }
    return out;
  }
  const groups = new Map<string, { alerts: Alert[]; sinks: string[] }>();
  for (const s of changeSinks) {
    const mine = live.filter((a) =>
      sinksTaking(a, [s, ...changeSinks.filter((x) => x.route)], opts.minSeverity).includes(s),
    );
    if (mine.length === 0) continue;
    const k = mine.map((a) => a.id).join(",");
    const g = groups.get(k) ?? { alerts: mine, sinks: [] };
    g.sinks.push(s.name);
    groups.set(k, g);
  }
  for (const g of groups.values())
    out.push({
      message: { id: opts.newId(), createdAt: opts.now, kind: "digest", alerts: g.alerts },
      sinks: g.sinks,
    });
  return out;
}

/** The accept (monitor.json) or snooze (database) that silences a finding at `now`, accepts first. */
export function muteFor(
  config: MonitorConfig,
  snoozes: readonly Snooze[],
  now: number,
): (f: { code: string; cert?: string; scope: string }) => Mute | undefined {
  return (f) => {
    for (const a of config.accept ?? []) {
      if (a.expires <= now) continue;
      if (a.sha1 !== undefined && a.sha1 !== f.cert) continue;
      if (a.code !== undefined && a.code !== f.code) continue;
      if (a.source !== undefined && a.source !== f.scope) continue;
      return { kind: "accept", id: a.id, until: a.expires, reason: a.reason };
    }
    for (const s of snoozes) {
      if (s.until <= now || (s.target !== f.code && s.target !== f.cert)) continue;
      return {
        kind: "snooze",
        id: `snooze ${s.id}`,
        until: s.until,
        reason: s.reason,
        by: s.by,
        ...(s.severity ? { severity: s.severity } : {}),
        ...(s.tier ? { tier: s.tier } : {}),
      };
    }
    return undefined;
  };
}

/** How many runs a cron schedule had after `from` and before `until` (at most 1000). */
export function missedRuns(
  schedule: string,
  timezone: string | undefined,
  from: number,
  until: number,
): number {
  const c = new Cron(schedule, { paused: true, timezone: timezone ?? "Etc/UTC" });
  try {
    let n = 0;
    let t = c.nextRun(new Date(from));
    while (t && t.getTime() < until && n < 1000) {
      n++;
      t = c.nextRun(t);
    }
    return n;
  } finally {
    c.stop();
  }
}

/** How a silenced finding is described in a digest and by `monitor status`. */
export function quietText(s: Pick<StateEntry, "muted" | "superseded">): string | undefined {
  if (s.superseded) return `superseded by ${s.superseded.sha1} (expires ${utc(s.superseded.notAfter)})`;
  const m = s.muted;
  if (!m) return undefined;
  return m.kind === "snooze"
    ? `snoozed until ${utc(m.until)} by ${m.by ?? "?"}: ${m.reason}`
    : `accepted (${m.id}) until ${new Date(m.until).toISOString().slice(0, 10)}: ${m.reason}`;
}

export class Monitor {
  private running = false;
  lastOutcome?: RunOutcome;
  private readonly deps: MonitorDeps;
  /** The secrets of every sink: no error, log line, database row or alert carries them. */
  private readonly secrets: string[];

  constructor(
    readonly config: MonitorConfig,
    deps: MonitorDeps,
  ) {
    this.secrets = config.sinks.flatMap((s) => sinkSecrets(s, deps.env ?? {}));
    const log = deps.log;
    this.deps = { ...deps, log: (line) => log(this.redact(line)) };
  }

  /** Text with the sinks' secrets (and anything that looks like a secret) replaced by ***. */
  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /** One pass: collect, evaluate, record, deliver. */
  async runOnce(): Promise<RunOutcome> {
    if (this.running) throw new Error("a run is already in progress");
    this.running = true;
    try {
      const { store } = this.deps;
      const now = this.deps.now();
      const runId = store.startRun(now);
      try {
        return await this.run(runId, now);
      } catch (e) {
        try {
          store.failRun(runId, this.deps.now(), this.redact((e as Error).message));
        } catch {
          // The database itself failed (locked by another process): the original error says so.
        }
        throw e;
      }
    } finally {
      this.running = false;
    }
  }

  private async run(runId: number, now: number): Promise<RunOutcome> {
    const { store } = this.deps;
    const collected = await collect(this.config, {
      now,
      validate: this.deps.validate,
      mtime: this.deps.mtime,
      readExchangeTenants: this.deps.readExchangeTenants,
    });
    for (const w of collected.warnings) this.deps.log(`warning: ${w}`);
    // A sink failing for about a day gets one more try before SINK_FAILED is decided (and none after the
    // commit if that one fails again).
    const retried = new Set(
      this.config.sinks
        .filter((s) => {
          const since = store.sinkFailingSince(s.name);
          return since !== undefined && now - since >= DAY_MS - 3_600_000;
        })
        .map((s) => s.name),
    );
    const early = retried.size ? await this.deliverPending({ only: retried }) : { sent: [], failed: [] };
    const previous = store.loadState();
    // A source that could not be read at all says nothing about its findings: keep them open (no
    // "resolved" now, and no "new" flood when it is readable again).
    // Likewise the chain findings of user certificates whose trust list could not be read.
    const blind = new Set(collected.failures.filter((f) => f.whole).map((f) => f.scope));
    const chainBlind = new Set(collected.chainsUnchecked);
    const fresh = new Set(collected.findings.map((f) => f.key));
    const carried: MonitorFinding[] = previous
      .filter(
        (p) =>
          !fresh.has(p.key) &&
          p.code !== "CHECK_FAILED" &&
          p.code !== "EXPORT_STALE" &&
          (blind.has(p.scope) || (chainBlind.has(p.scope) && !p.key.includes("|expiry|"))),
      )
      .map(({ since: _since, ...p }) => ({ ...p }));
    const findings = [...collected.findings, ...carried, ...this.selfChecks(now)];
    for (const f of findings) {
      const o = ownerOf(this.config, f.scope, f.cert);
      if (o.owner !== undefined) f.owner = o.owner;
      if (Object.keys(o.labels).length) f.labels = o.labels;
    }
    for (const a of this.config.accept ?? [])
      if (a.expires <= now)
        this.deps.log(
          `warning: ${a.id} (${a.reason}) expired on ${new Date(a.expires).toISOString().slice(0, 10)}: it no longer applies; renew its date or remove it`,
        );
    const { alerts, state } = evaluate(previous, findings, now, {
      repeat: this.config.repeat,
      mute: muteFor(this.config, this.deps.store.activeSnoozes(now), now),
    });
    const newId = this.deps.newId ?? randomUUID;
    const messages = planMessages(alerts, this.config.sinks, {
      mode: this.config.alerts.mode,
      minSeverity: this.config.alerts.minSeverity,
      now,
      newId,
    });
    const digests = this.digestsDue(now, state, newId);
    messages.push(...digests.messages);
    const failedRun = collected.failures.length > 0;
    store.commitRun({
      runId,
      finishedAt: this.deps.now(),
      status: failedRun ? "failed" : findings.length ? "findings" : "ok",
      ...(failedRun
        ? { error: this.redact(collected.failures.map((f) => `${f.scope}: ${f.error}`).join("; ")) }
        : {}),
      findings,
      state,
      alerts,
      messages,
      certificates: collected.certificates,
      digests: digests.marks,
    });
    const late = await this.deliverPending({ skip: new Set(early.failed.map((f) => f.sink)) });
    const delivery: DeliveryReport = {
      sent: [...early.sent, ...late.sent],
      failed: [...early.failed, ...late.failed],
    };
    const exitCode: 0 | 1 | 2 = failedRun ? 2 : reaches(findings, this.config.failOn) ? 1 : 0;
    const outcome: RunOutcome = {
      runId,
      findings,
      alerts,
      messages: messages.map((m) => m.message),
      failures: collected.failures.map((f) => ({ ...f, error: this.redact(f.error) })),
      delivery,
      exitCode,
    };
    this.lastOutcome = outcome;
    return outcome;
  }

  private delivering: Promise<DeliveryReport> | undefined;

  /**
   * Sends every pending message; stops trying a sink for this pass at its first failure. Passes never
   * overlap (a second caller waits for the running one, then runs its own), so a row is never sent twice.
   */
  async deliverPending(opts: { only?: Set<string>; skip?: Set<string> } = {}): Promise<DeliveryReport> {
    while (this.delivering) await this.delivering.catch(() => undefined);
    const p = this.deliverOnce(opts);
    this.delivering = p;
    try {
      return await p;
    } finally {
      if (this.delivering === p) this.delivering = undefined;
    }
  }

  /** Whether messages are waiting for a sink of the current configuration. */
  hasPending(): boolean {
    const names = new Set(this.config.sinks.map((s) => s.name));
    return this.deps.store.pendingDeliveries(this.deps.now()).some((d) => names.has(d.sink));
  }

  private async deliverOnce(opts: { only?: Set<string>; skip?: Set<string> }): Promise<DeliveryReport> {
    const { store } = this.deps;
    const report: DeliveryReport = { sent: [], failed: [] };
    const sinks = new Map(
      this.config.sinks
        .filter((s) => (!opts.only || opts.only.has(s.name)) && !opts.skip?.has(s.name))
        .map((s) => [s.name, s]),
    );
    const bySink = new Map<string, ReturnType<MonitorStore["pendingDeliveries"]>>();
    for (const p of store.pendingDeliveries(this.deps.now())) {
      if (!sinks.has(p.sink)) continue; // a sink removed from the config: its rows stay pending
      bySink.set(p.sink, [...(bySink.get(p.sink) ?? []), p]);
    }
    const sinkDeps: SinkDeps = {
      log: this.deps.log,
      env: this.deps.env ?? {},
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
    };
    await Promise.all(
      [...bySink].map(async ([name, pending]) => {
        const sink = sinks.get(name)!;
        for (const p of pending) {
          if (!store.claim(p.message.id, name, this.deps.now())) continue; // another process has it
          try {
            await deliver(p.message, sink, sinkDeps, this.deps.now());
            store.markSent(p.message.id, name, this.deps.now());
            report.sent.push({ sink: name, message: p.message.id });
          } catch (e) {
            const error = this.redact((e as Error).message);
            store.markFailed(p.message.id, name, error, this.deps.now());
            report.failed.push({ sink: name, message: p.message.id, error });
            const left = pending.length - pending.indexOf(p);
            this.deps.log(
              `warning: could not deliver to sink '${name}' (${error}); ${left} message${left === 1 ? "" : "s"} kept for the next run`,
            );
            break;
          }
        }
      }),
    );
    return report;
  }

  /** The certificates of the last run, each with the owner of its source. */
  private ownedCertificates(): MetricsCertificate[] {
    return this.deps.store.certificates().map((c) => {
      const { owner } = ownerOf(this.config, c.scope, c.sha1);
      return owner !== undefined ? { ...c, owner } : c;
    });
  }

  /**
   * The monitor's checks of itself: a monitor that has missed `staleAfterPeriods` scheduled runs
   * (MONITOR_STALE, noticed by the run that ends the gap and resolved by the next), and a sink whose oldest
   * undelivered message has failed for a day (SINK_FAILED, resolved once it delivers).
   */
  private selfChecks(now: number): MonitorFinding[] {
    const out: MonitorFinding[] = [];
    const { store } = this.deps;
    const stale = this.staleness(now);
    if (stale)
      out.push({
        ...problem("MONITOR_STALE", {
          date: isoUtc(stale.since),
          detail: `to ${isoUtc(now)} (${stale.text}; ${stale.missed >= 1000 ? "1000 or more" : stale.missed} scheduled run${stale.missed === 1 ? "" : "s"} missed)`,
        }),
        scope: "monitor",
        key: "monitor|MONITOR_STALE|-",
      });
    for (const s of this.config.sinks) {
      const since = store.sinkFailingSince(s.name);
      if (since === undefined || now - since < DAY_MS) continue;
      out.push({
        ...problem("SINK_FAILED", {
          name: s.name,
          date: isoUtc(since),
        }),
        scope: `sink:${s.name}`,
        key: `monitor|SINK_FAILED|${s.name}`,
      });
    }
    return out;
  }

  /**
   * Whether the monitor has missed `staleAfterPeriods` scheduled runs (2 by default) since its last completed
   * run, with a minute's grace: since when, how long in words, and how many scheduled runs it missed.
   * Counted on the schedule itself, so a weekday schedule is not stale over a weekend. Undefined when it is
   * not stale (or has never run).
   */
  staleness(now: number): { since: number; text: string; missed: number } | undefined {
    const periods = this.config.staleAfterPeriods ?? 2;
    const last = this.deps.store.lastCompletedRun();
    if (!last?.finishedAt || periods <= 0) return undefined;
    const missed = missedRuns(this.config.schedule, this.config.timezone, last.finishedAt, now - 60_000);
    if (missed < periods) return undefined;
    const ms = now - last.finishedAt;
    const text =
      ms >= DAY_MS
        ? `${Math.floor(ms / DAY_MS)} day${Math.floor(ms / DAY_MS) === 1 ? "" : "s"}`
        : `${Math.floor(ms / 3_600_000)} hour${Math.floor(ms / 3_600_000) === 1 ? "" : "s"}`;
    return { since: last.finishedAt, text, missed };
  }

  /**
   * The summaries due for digest sinks at `now` (their cron schedule has come round since their last one),
   * and the marks to record. A digest sink's first run only sets its mark.
   */
  digestsDue(
    now: number,
    state: readonly StateEntry[],
    newId: () => string,
  ): { messages: { message: OutgoingMessage; sinks: string[] }[]; marks: { sink: string; at: number }[] } {
    const messages: { message: OutgoingMessage; sinks: string[] }[] = [];
    const marks: { sink: string; at: number }[] = [];
    for (const s of this.config.sinks) {
      if (s.mode !== "digest" || !s.schedule) continue;
      const last = this.deps.store.lastDigest(s.name);
      if (last === undefined) {
        marks.push({ sink: s.name, at: now });
        continue;
      }
      const c = new Cron(s.schedule, { paused: true, timezone: this.config.timezone ?? "Etc/UTC" });
      const next = c.nextRun(new Date(last));
      c.stop();
      if (!next || next.getTime() > now) continue;
      marks.push({ sink: s.name, at: now });
      messages.push({
        message: {
          id: newId(),
          createdAt: now,
          kind: "summary",
          alerts: [],
          summary: this.summaryFor(s, state),
        },
        sinks: [s.name],
      });
    }
    return { messages, marks };
  }

  /** The open findings a sink takes (its route, or the default's share, and its severity floor), for a digest. */
  summaryFor(s: SinkConfig, state: readonly StateEntry[]): SummaryItem[] {
    const routed = this.config.sinks.filter((x) => x.route || x === s);
    return state
      .filter((e) => sinksTaking(e, routed, this.config.alerts.minSeverity).includes(s))
      .map((e) => {
        const quiet = quietText(e);
        return {
          key: e.key,
          scope: e.scope,
          code: e.code,
          severity: e.severity,
          message: e.message,
          since: e.since,
          ...(e.owner !== undefined ? { owner: e.owner } : {}),
          ...(e.cert !== undefined ? { cert: e.cert } : {}),
          ...(e.subject !== undefined ? { subject: e.subject } : {}),
          ...(e.notAfter !== undefined ? { notAfter: e.notAfter } : {}),
          ...(e.tier !== undefined ? { tier: e.tier } : {}),
          ...(quiet ? { quiet } : {}),
        };
      });
  }

  /**
   * `monitor digest`: sends the named sinks (default: every digest sink) a summary of the last run's open
   * findings now, outside their schedule (which it leaves as it is).
   */
  async sendDigestNow(
    names: readonly string[],
  ): Promise<{ messages: OutgoingMessage[]; delivery: DeliveryReport }> {
    const { store } = this.deps;
    const run = store.lastCompletedRun();
    if (!run) throw new Error("the monitor has not run yet: there is nothing to summarise");
    const now = this.deps.now();
    const state = store.loadState();
    const newId = this.deps.newId ?? randomUUID;
    const sinks = this.config.sinks.filter((s) => names.includes(s.name));
    const messages = sinks.map((s) => ({
      message: {
        id: newId(),
        createdAt: now,
        kind: "summary" as const,
        alerts: [],
        summary: this.summaryFor(s, state),
      },
      sinks: [s.name],
    }));
    store.queue(messages, run.id, []);
    const delivery = await this.deliverPending({ only: new Set(names) });
    return { messages: messages.map((m) => m.message), delivery };
  }

  /**
   * The long-running monitor's digest timer: queues the summaries due now (from the last run's state) and
   * delivers them.
   */
  async sendDueDigests(): Promise<DeliveryReport | undefined> {
    const { store } = this.deps;
    const now = this.deps.now();
    const run = store.lastCompletedRun();
    if (!run) return undefined;
    const due = this.digestsDue(now, store.loadState(), this.deps.newId ?? randomUUID);
    if (due.marks.length === 0) return undefined;
    store.queue(due.messages, run.id, due.marks);
    return this.deliverPending();
  }

  metricsSnapshot(): MetricsSnapshot {
    const { store } = this.deps;
    const last = store.lastRun();
    const lastSuccessAt = store.lastSuccessAt();
    return {
      now: this.deps.now(),
      certificates: this.ownedCertificates(),
      findings: store.openFindingCounts(),
      ...(last?.finishedAt !== undefined
        ? {
            lastRun: {
              finishedAt: last.finishedAt,
              success: last.status !== "failed",
              ...(last.status ? { status: last.status } : {}),
            },
          }
        : {}),
      ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
      runs: store.runCount(),
      deliveries: this.deliveryCounts(),
      version: this.deps.version ?? "unknown",
    };
  }

  /** Delivery totals of every configured sink (zeros before its first message) and of any other in the outbox. */
  private deliveryCounts(): NonNullable<MetricsSnapshot["deliveries"]> {
    const counts = this.deps.store.deliveryCounts();
    const seen = new Set(counts.map((c) => c.sink));
    for (const s of this.config.sinks)
      if (!seen.has(s.name)) counts.push({ sink: s.name, sent: 0, failed: 0, pending: 0 });
    return counts.sort((a, b) => a.sink.localeCompare(b.sink));
  }

  /** The iCalendar file of the last run's certificates (monitor calendar, /calendar.ics). */
  calendar(): string {
    const last = this.deps.store.lastRun();
    return renderCalendar(this.ownedCertificates(), {
      thresholds: this.config.thresholds.map((t) => t.days),
      now: this.deps.now(),
      ...(last?.finishedAt !== undefined ? { updatedAt: last.finishedAt } : {}),
      ...(this.deps.version ? { version: this.deps.version } : {}),
    });
  }

  /**
   * Health for /healthz. Unhealthy (503) when the scheduler has gone quiet: no run finished within
   * `maxQuietMs` (the caller passes about two schedule periods) of `now`, counting from `since` (when this
   * process started) when it has not run yet. A source that cannot be checked is an alert, not ill health.
   */
  health(now: number, opts: { since: number; maxQuietMs?: number }): { ok: boolean; detail: string } {
    const last = this.deps.store.lastRun();
    const lastAt = last ? (last.finishedAt ?? last.startedAt) : undefined;
    const quietSince = Math.max(opts.since, lastAt ?? Number.NEGATIVE_INFINITY);
    if (opts.maxQuietMs !== undefined && now - quietSince > opts.maxQuietMs) {
      const minutes = Math.round((now - quietSince) / 60_000);
      return {
        ok: false,
        detail: `no run for ${minutes} minutes (since ${new Date(quietSince).toISOString()}); the schedule has stopped`,
      };
    }
    if (!last) return { ok: true, detail: "no run yet" };
    const when = new Date(lastAt!).toISOString();
    if (last.status === "failed")
      return { ok: true, detail: `last run ${when} could not check every source: ${last.error ?? ""}` };
    return { ok: true, detail: `last run ${when}, ${last.findings ?? 0} findings` };
  }
}
