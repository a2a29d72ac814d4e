import type { Command } from "commander";
import type { RegisterCommand } from "../context.js";
import type { MonitorOpts } from "./monitor-run.js";

export const registerMonitor: RegisterCommand = (program: Command, ctx, done) => {
  const monitor = program
    .command("monitor")
    .description(
      "watch trust lists and user certificates on a schedule; alert on changes (webhook, Teams, Slack, e-mail, log); serve Prometheus metrics",
    )
    .requiredOption("--config <file>", "monitor.json (see schema/monitor.schema.json)")
    .option(
      "--once",
      "run one pass and exit with check's codes (0 ok, 1 findings, 2 a source could not be checked), for cron",
    )
    .option("--json", "with --once: print the run as JSON")
    .option(
      "--busy-timeout <seconds>",
      "how long to wait for the database when another process holds it (default: databaseBusyTimeoutSeconds of the config, or 5)",
    )
    .action(async (opts: MonitorOpts) => {
      const { runMonitor } = await import("./monitor-run.js");
      await runMonitor(opts, ctx, done);
    });
  monitor
    .command("calendar")
    .description(
      "write the watched certificates' expiry dates (as of the last run) as an iCalendar file: an event per expiry and per threshold date, reminders at the thresholds, stable UIDs",
    )
    .option("-o, --output <file>", "the .ics file to write (default: standard output)")
    .option("--force", "replace the file if it exists")
    .action(async (_o: unknown, cmd: Command) => {
      const { runMonitorCalendar } = await import("./monitor-calendar.js");
      await runMonitorCalendar(cmd.optsWithGlobals(), ctx, done);
    });
};
