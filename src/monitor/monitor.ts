/**
 * The monitor: one run = collect findings, compare with the stored state, record everything and queue the
 * alerts in one transaction, then deliver every pending message to every sink (a sink that is down keeps
 * its messages for the next run and does not hold up the others).
 */
import { randomUUID } from "node:crypto";
import { redactSecrets } from "../lib/redact.js";
import type { ChainValidator } from "../path/types.js";
import { reaches, type Severity, severityRank } from "../problems.js";
import { renderCalendar } from "./calendar.js";
import { type CollectDeps, collect } from "./collect.js";
import type { MonitorConfig, SinkConfig } from "./config.js";
import { type Alert, evaluate, type MonitorFinding, passes } from "./evaluate.js";
import type { OutgoingMessage } from "./messages.js";
import type { MetricsCertificate, MetricsSnapshot } from "./metrics.js";
import { ownerOf } from "./owners.js";
import { deliver, type SinkDeps, sinkSecrets } from "./sinks.js";
import type { MonitorStore } from "./store.js";

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

/**
 * Groups alerts into messages for sinks: one per change, sent to every sink whose severity floor it passes,
 * or one digest per floor. Each alert gets its one id here (kept in `alert.id`): a change's message has
 * that id as its idempotency key in every sink, and log lines and digests name it, so one change has one
 * id everywhere.
 */
export function planMessages(
  alerts: readonly Alert[],
  sinks: readonly SinkConfig[],
  opts: { mode: "change" | "digest"; minSeverity: Severity; now: number; newId: () => string },
): { message: OutgoingMessage; sinks: string[] }[] {
  const floors = new Map<Severity, string[]>();
  for (const s of sinks) {
    const f = maxSeverity(opts.minSeverity, s.minSeverity);
    floors.set(f, [...(floors.get(f) ?? []), s.name]);
  }
  for (const a of alerts) a.id ??= opts.newId();
  const out: { message: OutgoingMessage; sinks: string[] }[] = [];
  const order: Severity[] = ["info", "warning", "error"];
  if (opts.mode === "change") {
    for (const a of alerts) {
      const names = order.filter((sev) => passes(a, sev)).flatMap((sev) => floors.get(sev) ?? []);
      if (names.length === 0) continue;
      out.push({
        message: { id: a.id!, createdAt: opts.now, kind: "alert", alerts: [a] },
        sinks: names,
      });
    }
    return out;
  }
  for (const sev of order) {
    const names = floors.get(sev);
    if (!names) continue;
    const mine = alerts.filter((a) => passes(a, sev));
    if (mine.length === 0) continue;
    out.push({
      message: { id: opts.newId(), createdAt: opts.now, kind: "digest", alerts: mine },
      sinks: names,
    });
  }
  return out;
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
    const findings = [...collected.findings, ...carried];
    const { alerts, state } = evaluate(previous, findings, now);
    const messages = planMessages(alerts, this.config.sinks, {
      mode: this.config.alerts.mode,
      minSeverity: this.config.alerts.minSeverity,
      now,
      newId: this.deps.newId ?? randomUUID,
    });
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
    });
    const delivery = await this.deliverPending();
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
  async deliverPending(): Promise<DeliveryReport> {
    while (this.delivering) await this.delivering.catch(() => undefined);
    const p = this.deliverOnce();
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

  private async deliverOnce(): Promise<DeliveryReport> {
    const { store } = this.deps;
    const report: DeliveryReport = { sent: [], failed: [] };
    const sinks = new Map(this.config.sinks.map((s) => [s.name, s]));
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
            store.markFailed(p.message.id, name, error);
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
