/**
 * `smimetrust exchange apply` (preview): the apply script's job without PowerShell, straight against
 * Exchange Online's admin API: sign in, read, back up, plan, apply only what differs (not with --what-if),
 * read back until it matches, report the earliest expiry. `--backup FILE` restores a backup; `--tenants`
 * does many tenants.
 */
import type { Command } from "commander";
import { UsageError } from "../../../errors.js";
import { runTenant } from "../../../exchange-api/run.js";
import { oneLine } from "../../../lib/text.js";
import type { CliContext, ExitCode } from "../../context.js";
import { parseIntOption } from "../../options.js";
import { daysBetween } from "../../output.js";
import {
  backupSaver,
  type LiveOpts,
  liveOptions,
  loadTarget,
  outcomeJson,
  outcomesExit,
  outcomesTable,
  runTenantsFile,
  singleConnection,
} from "./live.js";
import { planJson, planText } from "./plan.js";
import { printJson, SKIP_UNREADABLE_HELP } from "./shared.js";

type ApplyOpts = LiveOpts & {
  config: string;
  backup?: string;
  backupDir: string;
  whatIf?: boolean;
  password?: string;
  warnDays: string;
  verifyAttempts: string;
  verifyDelay: string;
  skipUnreadable?: boolean;
  json?: boolean;
};

/** planText's last line points at the PowerShell path; here the next step is this command. */
export function livePlanText(text: string): string {
  return text.replace(/^Next: smimetrust exchange script .*\n/m, "");
}

export function registerApply(exchange: Command, ctx: CliContext, done: (code: ExitCode) => void): void {
  liveOptions(
    exchange
      .command("apply")
      .description(
        "preview: apply smime.config.json (or restore a backup) straight to Exchange Online, without PowerShell: back up, plan, change only what differs, verify",
      )
      .option("--config <file>", "the desired state", "smime.config.json")
      .option("--backup <file>", "restore this backup (or export) instead of applying --config")
      .option("--backup-dir <folder>", "where the backup of the current configuration is saved", ".")
      .option("--what-if", "connect, read, save the backup and show the plan; change nothing")
      .option("--password <password>", "PKCS#12 password for trust inputs (or SMIMETRUST_PFX_PASSWORD)")
      .option("--warn-days <days>", "warn about certificates that expire within this many days", "30")
      .option("--verify-attempts <n>", "read-backs before the change counts as not applied", "6")
      .option("--verify-delay <seconds>", "wait between read-backs", "10")
      .option("--skip-unreadable", SKIP_UNREADABLE_HELP)
      .option("--json", "print the result as JSON"),
  ).action(async (opts: ApplyOpts) => {
    const now = ctx.now();
    const warnDays = parseIntOption(opts.warnDays, "--warn-days");
    const verifyAttempts = parseIntOption(opts.verifyAttempts, "--verify-attempts", 1);
    const verifyDelayMs = parseIntOption(opts.verifyDelay, "--verify-delay") * 1000;
    const common = { now, warnDays, whatIf: opts.whatIf, verifyAttempts, verifyDelayMs };
    if (opts.tenants) {
      if (opts.backup)
        throw new UsageError("--backup restores one tenant; it cannot be combined with --tenants");
      const outcomes = await runTenantsFile(ctx, opts, "apply", common);
      if (opts.json) printJson(ctx, outcomes.map(outcomeJson));
      else ctx.out.stdout(outcomesTable(ctx, outcomes));
      done(outcomesExit(outcomes));
      return;
    }
    // Everything that can be refused is refused here, before any request.
    const conn = singleConnection(opts, ctx);
    const { target, label } = await loadTarget(ctx, opts, now);
    const log = (line: string) => ctx.out.stderr(`${oneLine(line)}\n`);
    const r = await runTenant(conn.tenant, conn, "apply", target, {
      ...common,
      log,
      saveBackup: backupSaver(opts.backupDir, now),
      onPlan: opts.json
        ? undefined
        : (plan) =>
            ctx.out.stdout(
              livePlanText(planText(plan, { current: `tenant ${conn.tenant}`, config: label }, ctx, now)),
            ),
    });
    if (opts.json) {
      printJson(ctx, {
        ...outcomeJson(r),
        whatIf: Boolean(opts.whatIf),
        plan: r.plan ? planJson(r.plan, { current: `tenant ${conn.tenant}`, config: label }) : null,
      });
    } else if (r.status === "changes") {
      ctx.out.stdout(`\nWhat-if: nothing was changed (${r.changed?.join(", ")} would be).\n`);
    } else if (r.status === "applied") {
      const lines = ["", `Applied and verified: ${r.changed?.join(", ")}.`];
      if (target.trust) {
        const exp = r.reported?.expiryDate;
        const ms = exp ? Date.parse(exp) : Number.NaN;
        lines.push(
          `  SMIMECertificatesExpiryDate (earliest expiry in the list): ${exp ?? "(not set)"}${Number.isNaN(ms) ? "" : ` (${daysBetween(now, ms)} days)`}`,
          `  SMIMEExpiredCertificateThumbprint (the certificate that expires first): ${r.reported?.thumbprint ?? "(not set)"}`,
        );
        if (
          target.trust.earliest &&
          r.reported?.thumbprint &&
          r.reported.thumbprint.toUpperCase() !== target.trust.earliest.sha1
        )
          lines.push(
            `  warning: Exchange reports ${r.reported.thumbprint} as expiring first; smimetrust expected ${target.trust.earliest.sha1}.`,
          );
      }
      lines.push("Outlook on the web can take an hour or more to pick up the new configuration.");
      ctx.out.stdout(`${lines.join("\n")}\n`);
    }
    done(r.status === "refused" ? 1 : 0);
  });
}
