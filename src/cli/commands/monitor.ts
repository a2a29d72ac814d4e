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
    .option("--json", "with --once: print the run as JSON (with status: the status)")
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
  // --config is the parent's option: `monitor snooze X --config f` and `monitor --config f snooze X` both work;
  // the subcommands' help lists it.
  monitor.configureHelp({ showGlobalOptions: true });
  const configOf = (cmd: Command) => (cmd.optsWithGlobals() as { config: string }).config;
  monitor
    .command("snooze")
    .description(
      "silence a finding (a problem code or a certificate's SHA-1) for a while, with a reason; a higher severity or expiry itself still alerts",
    )
    .argument("<code|sha1>", "a problem code (TRUST_EXPIRING...) or a SHA-1 thumbprint")
    .requiredOption("--for <duration>", "how long: 14d, 36h, 2w")
    .requiredOption("--reason <text>", "why (kept with the snooze, shown by monitor status)")
    .option("--by <name>", "who (default: the user name)")
    .action(async (target: string, opts: { for: string; reason: string; by?: string }, cmd: Command) => {
      const { runSnooze } = await import("./monitor-manage.js");
      runSnooze(target, opts, configOf(cmd), ctx, done);
    });
  monitor
    .command("unsnooze")
    .description("end the active snoozes of a problem code or SHA-1 thumbprint")
    .argument("<code|sha1>", "as given to snooze")
    .option("--by <name>", "who (default: the user name)")
    .action(async (target: string, opts: { by?: string }, cmd: Command) => {
      const { runUnsnooze } = await import("./monitor-manage.js");
      runUnsnooze(target, opts, configOf(cmd), ctx, done);
    });
  monitor
    .command("digest")
    .description(
      "send a digest of the last run's open findings now (by owner and severity) to the digest sinks, or to the sinks named",
    )
    .option(
      "--sink <name>",
      "a sink to send it to (repeat for more; default: every sink with mode digest)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (opts: { sink?: string[] }, cmd: Command) => {
      const { runDigest } = await import("./monitor-manage.js");
      await runDigest(opts, configOf(cmd), ctx, done);
    });
  monitor
    .command("status")
    .description(
      "the last run, whether the monitor is stale, open findings by owner, snoozes, accepts and failing sinks (exit 1 when stale or a sink has failed for a day); --json for scripts",
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { runStatus } = await import("./monitor-manage.js");
      runStatus(configOf(cmd), ctx, done, { json: (cmd.optsWithGlobals() as { json?: boolean }).json });
    });
};
