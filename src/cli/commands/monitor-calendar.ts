/**
 * `monitor calendar`: the expiry dates of the certificates the monitor watched in its last run, as an
 * iCalendar file (monitor/calendar.ts), on stdout or written atomically to -o.
 */
import { existsSync } from "node:fs";
import { FileAccessError } from "../../errors.js";
import { checkOutputPath, writeFileAtomic } from "../../io/files.js";
import { oneLine } from "../../lib/text.js";
import { loadMonitorConfig } from "../../monitor/config.js";
import { Monitor } from "../../monitor/monitor.js";
import type { CliContext, ExitCode } from "../context.js";
import { VERSION } from "../options.js";
import { writeData } from "../output.js";
import { openStore, parseBusyTimeout } from "./monitor-run.js";

export interface MonitorCalendarOpts {
  config: string;
  output?: string;
  force?: boolean;
  /** `monitor --busy-timeout`, given before or after `calendar`. */
  busyTimeout?: string;
}

export async function runMonitorCalendar(
  opts: MonitorCalendarOpts,
  ctx: CliContext,
  done: (code: ExitCode) => void,
): Promise<void> {
  const busyTimeoutMs = opts.busyTimeout !== undefined ? parseBusyTimeout(opts.busyTimeout) : undefined;
  const config = loadMonitorConfig(opts.config, existsSync);
  if (opts.output) checkOutputPath(opts.output, opts.force);
  if (!existsSync(config.database))
    throw new FileAccessError(
      `no monitor database yet: run 'smimetrust monitor --once --config ${opts.config}' first`,
      { file: config.database },
    );
  const store = openStore(config.database, {
    busyTimeoutMs: busyTimeoutMs ?? config.databaseBusyTimeoutMs,
    command: "smimetrust monitor calendar",
  });
  let ics: string;
  let certificates: number;
  let lastRun: number | undefined;
  try {
    const monitor = new Monitor(config, { store, now: ctx.now, log: () => {}, version: VERSION });
    ics = monitor.calendar();
    certificates = new Set(store.certificates().map((c) => c.sha1)).size;
    lastRun = store.lastRun()?.finishedAt;
  } finally {
    store.close();
  }
  const events = ics.split("\r\nBEGIN:VEVENT").length - 1;
  const asOf = lastRun !== undefined ? `as of the run of ${new Date(lastRun).toISOString()}` : "no run yet";
  if (opts.output) {
    writeFileAtomic(opts.output, ics, { force: opts.force });
    ctx.out.stderr(
      `${oneLine(opts.output)}: ${events} event${events === 1 ? "" : "s"} for ${certificates} certificate${certificates === 1 ? "" : "s"} (${asOf})\n`,
    );
  } else {
    writeData(ctx.out, ics);
  }
  done(0);
}
