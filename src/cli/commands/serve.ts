import { existsSync } from "node:fs";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { RegisterCommand } from "../context.js";
import { parseIntOption, repeatable, VERSION } from "../options.js";

interface ServeOpts {
  config?: string;
  database?: string;
  port: string;
  host: string;
  token?: string;
  pending?: string[];
  leaf?: string[];
  warnDays: string;
  password?: string;
  skipUnreadable?: boolean;
}

export const registerServe: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("serve")
    .description(
      "a local dashboard in the browser: inventory, expiry forecast, chain tree, findings, monitor history, try a build or a message",
    )
    .argument(
      "[inputs...]",
      "trust lists: files, folders, .sst or Exchange export JSON (besides the config's)",
    )
    .option(
      "--config <file>",
      "the monitor config: its trust lists, user certificates, schedule and database",
    )
    .option("--database <file>", "the monitor's SQLite database (created if absent; default: the config's)")
    .option("--port <port>", "TCP port (0: any free port)", "8443")
    .option("--host <host>", "address to listen on; other than loopback needs --token", "127.0.0.1")
    .option("--token <token>", "a secret every request must carry (or SMIMETRUST_SERVE_TOKEN)")
    .option("--pending <list>", "a list to upload, compared with the one in use (repeatable)", repeatable)
    .option(
      "--leaf <cert>",
      "user certificates that must chain to the list: a file or folder (repeatable)",
      repeatable,
    )
    .option("--warn-days <days>", "warn this many days before a CA expires", "30")
    .option("--password <password>", "PKCS#12 password (or SMIMETRUST_PFX_PASSWORD)")
    .option("--skip-unreadable", "leave out files in folders that cannot be read instead of stopping")
    .action(async (inputs: string[], opts: ServeOpts) => {
      const port = parseIntOption(opts.port, "--port");
      if (port > 65535) throw new UsageError(`--port: '${opts.port}' is above 65535`);
      // Loaded when serve runs (hono, SQLite, ajv): every other command starts without them.
      const [{ loadMonitorConfig }, { startServer }] = await Promise.all([
        import("../../monitor/config.js"),
        import("../../web/server.js"),
      ]);
      const config = opts.config ? loadMonitorConfig(opts.config, existsSync) : undefined;
      const server = await startServer({
        inputs,
        pending: opts.pending,
        leaves: opts.leaf,
        config,
        database: opts.database,
        host: opts.host,
        port,
        token: opts.token ?? ctx.env.SMIMETRUST_SERVE_TOKEN,
        password: opts.password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
        skipUnreadable: opts.skipUnreadable,
        warnDays: parseIntOption(opts.warnDays, "--warn-days"),
        version: VERSION,
        now: ctx.now,
      });
      for (const line of server.notes) ctx.out.stderr(`${line}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      done(0);
    });
};
