/**
 * `smimetrust exchange ...`: Exchange Online as code, one file per subcommand. `export-script` writes the
 * PowerShell that exports Get-SmimeConfig; `plan` compares an export with smime.config.json; `script` writes
 * the PowerShell that applies it (with backup, verification and -WhatIf); `rollback-script` writes the one
 * that restores a backup.
 */
import type { Command } from "commander";
import type { RegisterCommand } from "../../context.js";
import { registerApply } from "./apply.js";
import { registerExport } from "./export.js";
import { registerExportScript } from "./export-script.js";
import { registerPlan } from "./plan.js";
import { registerRollbackScript } from "./rollback-script.js";
import { registerScript } from "./script.js";
import { registerWireCheck } from "./wire-check.js";

export { planJson, planText } from "./plan.js";

export const registerExchange: RegisterCommand = (program: Command, ctx, done) => {
  const exchange = program
    .command("exchange")
    .description("Exchange Online as code: export, plan, apply and roll back the S/MIME configuration");
  registerExportScript(exchange, ctx, done);
  registerPlan(exchange, ctx, done);
  registerScript(exchange, ctx, done);
  registerRollbackScript(exchange, ctx, done);
  registerExport(exchange, ctx, done);
  registerApply(exchange, ctx, done);
  registerWireCheck(exchange, ctx, done);
};
