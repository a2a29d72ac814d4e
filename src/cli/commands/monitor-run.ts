/**
 * The monitor command's work, loaded only when `monitor` runs: SQLite, SMTP, the schema validator and the
 * scheduler stay out of every other command's start-up.
 */

import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Cron } from "croner";
import { countBySeverity } from "../../audit/report.js";
import { FileAccessError, SmimetrustError, UsageError } from "../../errors.js";
import { exchangeTenantsReader } from "../../exchange-api/monitor-source.js";
import { redactSecrets } from "../../lib/redact.js";
import { oneLine } from "../../lib/text.js";
import { loadMonitorConfig } from "../../monitor/config.js";
import { startMetricsServer } from "../../monitor/metrics.js";
import { Monitor, type RunOutcome } from "../../monitor/monitor.js";
import { DatabaseBusyError, MonitorStore, type StoreOptions } from "../../monitor/store.js";
import { validateChain } from "../../path/validate.js";
import type { CliContext, ExitCode } from "../context.js";
import { VERSION } from "../options.js";
import { writeData } from "../output.js";

export interface MonitorOpts {
  config: string;
  once?: boolean;
  json?: boolean;
  /** Seconds to wait for the database when another process holds it (overrides databaseBusyTimeoutSeconds). */
  busyTimeout?: string;
}

/** Two schedule periods and a minute: longer than that without a finished run, /healthz answers 503. */
export function maxQuietMs(job: Cron): number | undefined {
  const [a, b] = job.nextRuns(2);
  if (!a || !b) return undefined;
  return 2 * (b.getTime() - a.getTime()) + 60_000;
}

export function openStore(file: string, opts: StoreOptions): MonitorStore {
  try {
    mkdirSync(dirname(file), { recursive: true });
    return new MonitorStore(file, opts);
  } catch (e) {
    if (e instanceof DatabaseBusyError) throw e;
    throw new FileAccessError(`cannot open the monitor database: ${(e as Error).message}`, { file });
  }
}

/** `--busy-timeout`: seconds (a decimal number from 0 to 3600). */
export function parseBusyTimeout(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) > 3600)
    throw new UsageError(`--busy-timeout: '${v}' is not a number of seconds from 0 to 3600`);
  return Math.round(Number(v) * 1000);
}

function summary(o: RunOutcome): string {
  const k = countBySeverity(o.findings);
  const pending = o.delivery.failed.length;
  const silenced = o.alerts.filter((a) => a.suppressed).length;
  return `run ${o.runId}: ${o.findings.length} finding${o.findings.length === 1 ? "" : "s"} (${k.error} error, ${k.warning} warning, ${k.info} info), ${o.alerts.length} change${o.alerts.length === 1 ? "" : "s"}${silenced ? ` (${silenced} silenced: snoozed, accepted or superseded)` : ""}, ${o.delivery.sent.length} deliver${o.delivery.sent.length === 1 ? "y" : "ies"} sent${pending ? `, ${pending} sink${pending === 1 ? "" : "s"} failed (kept for the next run)` : ""}`;
}

function outcomeJson(o: RunOutcome) {
  return {
    run: o.runId,
    exitCode: o.exitCode,
    findings: o.findings.map(({ key: _k, scope, tier, subject, notAfter, ...p }) => ({
      ...p,
      watched: scope,
      ...(tier ? { threshold: tier } : {}),
    })),
    changes: o.alerts.map((a) => ({
      kind: a.kind,
      code: a.code,
      severity: a.severity,
      watched: a.scope,
      cert: a.cert ?? null,
      message: a.message,
      ...(a.owner !== undefined ? { owner: a.owner } : {}),
      ...(a.suppressed ? { silenced: a.suppressed } : {}),
      // the change's one id: its messages' idempotency key and its log line's id=
      id: a.id ?? null,
    })),
    failures: o.failures,
    delivery: o.delivery,
  };
}

export async function runMonitor(
  opts: MonitorOpts,
  ctx: CliContext,
  done: (code: ExitCode) => void,
): Promise<void> {
  if (opts.json && !opts.once)
    throw new UsageError(
      "--json needs --once (the long-running monitor reports through its sinks and /metrics)",
    );
  const busyTimeoutMs = opts.busyTimeout !== undefined ? parseBusyTimeout(opts.busyTimeout) : undefined;
  const config = loadMonitorConfig(opts.config, existsSync);
  const store = openStore(config.database, {
    busyTimeoutMs: busyTimeoutMs ?? config.databaseBusyTimeoutMs,
    command: `smimetrust monitor${opts.once ? " --once" : ""}`,
  });
  // Every log line is one line (nothing in a certificate name can start another) and carries no secret.
  const log = (line: string) => ctx.out.stderr(`${oneLine(redactSecrets(line))}\n`);
  const monitor = new Monitor(config, {
    store,
    now: ctx.now,
    log,
    env: ctx.env,
    version: VERSION,
    validate: config.userCertificates.some((u) => u.trustList) ? validateChain : undefined,
    readExchangeTenants: config.exchangeTenants?.length
      ? exchangeTenantsReader({
          env: ctx.env,
          http: { log },
          authority: ctx.env.SMIMETRUST_EXCHANGE_AUTHORITY,
          endpoint: ctx.env.SMIMETRUST_EXCHANGE_ENDPOINT,
        })
      : undefined,
  });
  if (opts.once) {
    try {
      let o: RunOutcome;
      try {
        o = await monitor.runOnce();
      } catch (e) {
        throw store.busyError(e);
      }
      if (opts.json) writeData(ctx.out, `${JSON.stringify(outcomeJson(o), null, 2)}\n`);
      for (const f of o.failures) log(`smimetrust: ${f.scope}: check failed: ${f.error}`);
      ctx.out.stderr(`${summary(o)}\n`);
      done(o.exitCode);
    } finally {
      store.close();
    }
    return;
  }
  // ---- long-running ----
  const job = new Cron(
    config.schedule,
    {
      protect: true,
      paused: true,
      ...(config.timezone ? { timezone: config.timezone } : { timezone: "Etc/UTC" }),
    },
    () => tick(),
  );
  const startedAt = ctx.now();
  const metrics = config.metrics
    ? await startMetricsServer({
        port: config.metrics.port,
        host: config.metrics.host,
        snapshot: () => monitor.metricsSnapshot(),
        calendar: () => monitor.calendar(),
        healthy: () => monitor.health(ctx.now(), { since: startedAt, maxQuietMs: maxQuietMs(job) }),
      }).catch((e: Error) => {
        store.close();
        throw new FileAccessError(
          `cannot listen on ${config.metrics!.host}:${config.metrics!.port}: ${e.message}`,
          { file: opts.config },
        );
      })
    : undefined;
  if (metrics)
    log(
      `metrics on http://${config.metrics!.host}:${metrics.port}/metrics (health: /healthz, calendar: /calendar.ics)`,
    );
  const tick = async () => {
    try {
      const o = await monitor.runOnce();
      for (const f of o.failures) log(`check failed: ${f.scope}: ${f.error}`);
      log(summary(o));
    } catch (e) {
      const err = store.busyError(e);
      log(`run failed: ${err instanceof SmimetrustError ? err.describe() : (err as Error).message}`);
    }
  };
  // Digest sinks: each on its own schedule, summarising the last run's open findings.
  const digestJobs = config.sinks
    .filter((s) => s.mode === "digest" && s.schedule)
    .map(
      (s) =>
        new Cron(
          s.schedule!,
          { protect: true, timezone: config.timezone ?? "Etc/UTC" },
          () =>
            void monitor
              .sendDueDigests()
              .then((d) => {
                if (d)
                  log(
                    `digest: ${d.sent.length} sent${d.failed.length ? `, ${d.failed.length} failed (kept)` : ""}`,
                  );
              })
              .catch((e: Error) =>
                log(
                  `digest failed: ${store.busyError(e) instanceof Error ? (store.busyError(e) as Error).message : e.message}`,
                ),
              ),
        ),
    );
  const stale = monitor.staleness(ctx.now());
  if (stale)
    log(
      `warning: the monitor has not run since ${new Date(stale.since).toISOString()} (${stale.text}; ${stale.missed >= 1000 ? "1000 or more" : stale.missed} scheduled run${stale.missed === 1 ? "" : "s"} missed)${config.runOnStart ? "" : "; the next run alerts (MONITOR_STALE)"}`,
    );
  job.resume();
  log(
    `monitoring ${config.trustLists.length} trust list${config.trustLists.length === 1 ? "" : "s"} and ${config.userCertificates.length} user certificate set${config.userCertificates.length === 1 ? "" : "s"}; schedule '${config.schedule}', next run ${job.nextRun()?.toISOString() ?? "never"}`,
  );
  const retry = setInterval(() => {
    if (!monitor.hasPending()) return;
    monitor
      .deliverPending()
      .then((d) => {
        if (d.sent.length) log(`retry: ${d.sent.length} delivered`);
      })
      .catch((e: Error) => log(`retry failed: ${e.message}`));
  }, config.alerts.retryMinutes * 60_000);
  retry.unref();
  if (config.runOnStart) await tick();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  job.stop();
  for (const d of digestJobs) d.stop();
  clearInterval(retry);
  await metrics?.close();
  store.close();
  log("monitor stopped");
  done(0);
}
