/**
 * `smimetrust exchange plan`: compares an export of Get-SmimeConfig with smime.config.json.
 * Exit status: 0 when the plan can be applied (or nothing changes), 1 when Exchange would refuse it
 * (expired certificate, more than 70,000 bytes, a setting it would not take), 2 bad input.
 */

import type { Command } from "commander";
import { replacementKind } from "../../../audit/diff.js";
import { UsageError } from "../../../errors.js";
import { readSmimeExport, type SmimeExport } from "../../../exchange/export.js";
import { type ExchangePlan, makePlan } from "../../../exchange/plan.js";
import type { SettingValue } from "../../../exchange/settings.js";
import { readLive } from "../../../exchange-api/live.js";
import { connect } from "../../../exchange-api/run.js";
import { readInputFile, skippedJson } from "../../../io/files.js";
import { LIST_MAX } from "../../../lib/list.js";
import { oneLine } from "../../../lib/text.js";
import type { Certificate } from "../../../x509/certificate.js";
import type { CliContext, ExitCode } from "../../context.js";
import { PFX_MAX_ITERATIONS_OPTION, parseIntOption } from "../../options.js";
import { daysBetween, isoDate, isoTime, mark, writeData } from "../../output.js";
import {
  type LiveOpts,
  liveOptions,
  outcomeJson,
  outcomesExit,
  outcomesTable,
  runTenantsFile,
  singleConnection,
} from "./live.js";
import { loadDesired, printJson, SKIP_UNREADABLE_HELP } from "./shared.js";

function showValue(v: SettingValue | undefined): string {
  if (v === undefined) return "(not in export)";
  if (v === null) return "(not set)";
  if (typeof v === "string") return `'${oneLine(v)}'`;
  return String(v);
}

function certJson(c: Certificate) {
  return {
    subject: c.subject.toString(),
    sha1: c.sha1,
    notBefore: new Date(c.notBefore).toISOString(),
    notAfter: new Date(c.notAfter).toISOString(),
  };
}

export function planJson(plan: ExchangePlan, files: { current: string; config: string }) {
  const t = plan.trust;
  return {
    status: plan.status,
    current: files.current,
    config: files.config,
    trust: t && {
      changesCertificates: t.changesCertificates,
      changesBytes: t.changesBytes,
      current: { certificates: t.currentCount, bytes: t.currentBytes, sha256: t.currentSha256 },
      desired: {
        certificates: t.desiredCount,
        bytes: t.desiredBytes,
        sha256: t.desiredSha256,
        SMIMECertificatesExpiryDate: t.earliest ? isoTime(t.earliest.notAfter) : null,
        SMIMEExpiredCertificateThumbprint: t.earliest?.sha1 ?? null,
      },
      added: t.added.map(certJson),
      removed: t.removed.map(certJson),
      replaced: t.replaced.map((p) => ({
        old: certJson(p.old),
        new: certJson(p.new),
        kind: replacementKind(p),
      })),
      unchanged: t.unchanged.map(certJson),
      leftOut: t.leftOut.map(certJson),
    },
    settings: plan.settings.map((s) => ({
      name: s.name,
      from: s.from === undefined ? null : s.from,
      to: s.to,
      inExport: s.from !== undefined,
    })),
    unchangedSettings: plan.unchangedSettings,
    refusals: plan.refusals,
    warnings: plan.warnings,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

export function planText(
  plan: ExchangePlan,
  files: { current: string; config: string },
  ctx: CliContext,
  now: number,
): string {
  const L: string[] = [
    `Plan for Exchange Online S/MIME: ${files.current} (current) -> ${files.config} (desired)`,
    "",
  ];
  const t = plan.trust;
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (!t) {
    L.push("Trust list (SMIMECertificateIssuingCA): not managed by the config, left as it is.");
  } else {
    L.push(
      `Trust list (SMIMECertificateIssuingCA): ${s(t.currentCount, "certificate")}, ${t.currentBytes} bytes -> ${s(t.desiredCount, "certificate")}, ${t.desiredBytes} bytes`,
    );
    const rows: string[][] = [];
    for (const c of t.added) rows.push(["+ add", oneLine(c.name), c.sha1, `expires ${isoDate(c.notAfter)}`]);
    for (const c of t.removed)
      rows.push(["- remove", oneLine(c.name), c.sha1, `expires ${isoDate(c.notAfter)}`]);
    for (const p of t.replaced)
      rows.push([
        "~ replace",
        oneLine(p.new.name),
        `${p.old.sha1} -> ${p.new.sha1}`,
        `expires ${isoDate(p.old.notAfter)} -> ${isoDate(p.new.notAfter)} (${replacementKind(p).join(", ")})`,
      ]);
    if (t.unchanged.length)
      rows.push(["= keep", `${s(t.unchanged.length, "certificate")} unchanged`, "", ""]);
    const w = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => (r[2] || i === 0 ? r[i].length : 0))));
    for (const r of rows)
      L.push(
        (r[2]
          ? `  ${pad(r[0], w[0])}  ${pad(r[1], w[1])}  ${pad(r[2], w[2])}  ${r[3]}`
          : `  ${pad(r[0], w[0])}  ${r[1]}`
        ).trimEnd(),
      );
    for (const c of t.leftOut) L.push(`  (left out '${oneLine(c.name)}' (${c.sha1}): not a CA certificate)`);
    if (!t.changesCertificates && t.changesBytes && t.desiredSha256 && t.currentSha256)
      L.push(
        "  Same certificates, but the file differs byte for byte: the script will upload it again (trust does not change).",
      );
    if (!t.changesCertificates && !t.changesBytes)
      L.push("  No change: Exchange already has exactly this file.");
    if (t.earliest && t.desiredSha256) {
      L.push(`  ${t.changesBytes ? "After the upload, " : ""}Get-SmimeConfig will report:`);
      L.push(
        `    SMIMECertificatesExpiryDate        ${isoTime(t.earliest.notAfter)} (${daysBetween(now, t.earliest.notAfter)} days)`,
      );
      L.push(`    SMIMEExpiredCertificateThumbprint  ${t.earliest.sha1} ('${oneLine(t.earliest.name)}')`);
    }
  }
  L.push("");
  if (plan.settings.length === 0 && plan.unchangedSettings.length === 0)
    L.push("Settings: none in the config.");
  else {
    L.push(`Settings: ${s(plan.settings.length, "change")}`);
    const w = Math.max(0, ...plan.settings.map((c) => c.name.length));
    for (const c of plan.settings)
      L.push(`  ~ ${pad(oneLine(c.name), w)}  ${showValue(c.from)} -> ${showValue(c.to)}`);
    if (plan.unchangedSettings.length)
      L.push(`  = ${plan.unchangedSettings.length} already as desired: ${plan.unchangedSettings.join(", ")}`);
  }
  L.push("");
  if (plan.warnings.length) {
    L.push("Warnings (Exchange takes this, but it will not last):");
    for (const r of plan.warnings.slice(0, LIST_MAX)) {
      L.push(`  ${mark(ctx.out, "warn")}  ${r.code}  ${oneLine(r.message)}`);
      if (r.hint) L.push(`           hint: ${oneLine(r.hint)}`);
    }
    if (plan.warnings.length > LIST_MAX)
      L.push(`  ... and ${plan.warnings.length - LIST_MAX} more (--json lists them all)`);
    L.push("");
  }
  if (plan.refusals.length) {
    L.push("Exchange would refuse this:");
    for (const r of plan.refusals.slice(0, LIST_MAX)) {
      L.push(`  ${mark(ctx.out, "fail")}  ${r.code}  ${oneLine(r.message)}`);
      if (r.hint) L.push(`           hint: ${oneLine(r.hint)}`);
    }
    if (plan.refusals.length > LIST_MAX)
      L.push(`  ... and ${plan.refusals.length - LIST_MAX} more (--json lists them all)`);
    L.push("", "Result: refused. Fix the problems above; nothing has been changed.");
  } else if (plan.status === "no-changes") {
    L.push("Result: no changes.");
  } else {
    const parts: string[] = [];
    if (t?.added.length) parts.push(`${t.added.length} to add`);
    if (t?.removed.length) parts.push(`${t.removed.length} to remove`);
    if (t?.replaced.length) parts.push(`${t.replaced.length} to replace`);
    const certs = parts.length
      ? `certificates: ${parts.join(", ")}; `
      : t?.changesBytes
        ? "trust list re-uploaded; "
        : "";
    L.push(`Result: ${certs}${s(plan.settings.length, "setting")} to change.`);
    L.push(
      `Next: smimetrust exchange script --config ${files.config} -o apply.ps1, review it, run it with -WhatIf, then without.`,
    );
  }
  return `${L.join("\n")}\n`;
}

export function registerPlan(exchange: Command, ctx: CliContext, done: (code: ExitCode) => void): void {
  const cmd = exchange
    .command("plan")
    .description(
      "compare an export of Get-SmimeConfig (or, with --live, the tenant itself) with smime.config.json: what would change, and what Exchange would refuse",
    )
    .option("--current <export.json>", "the export written by the export script (or a backup)")
    .option(
      "--live",
      "preview: read the current configuration from Exchange Online (see --tenant) instead of --current",
    )
    .option("--config <file>", "the desired state", "smime.config.json")
    .option("--password <password>", "PKCS#12 password for trust inputs (or SMIMETRUST_PFX_PASSWORD)")
    .option("--warn-days <days>", "warn about certificates that expire within this many days", "30")
    .option("--skip-unreadable", SKIP_UNREADABLE_HELP)
    .option(...PFX_MAX_ITERATIONS_OPTION)
    .option("--json", "print the plan as JSON");
  liveOptions(cmd).action(
    async (
      opts: LiveOpts & {
        current?: string;
        live?: boolean;
        config: string;
        password?: string;
        warnDays: string;
        skipUnreadable?: boolean;
        pfxMaxIterations?: string;
        json?: boolean;
      },
    ) => {
      const warnDays = parseIntOption(opts.warnDays, "--warn-days");
      if (opts.tenants) {
        if (opts.current || opts.live)
          throw new UsageError("--tenants reads each tenant live; leave out --current and --live");
        const outcomes = await runTenantsFile(ctx, opts, "plan", { now: ctx.now(), warnDays });
        if (opts.json)
          printJson(
            ctx,
            outcomes.map((r) => ({
              ...outcomeJson(r),
              plan: r.plan ? planJson(r.plan, { current: `tenant ${r.name}`, config: opts.config }) : null,
            })),
          );
        else ctx.out.stdout(outcomesTable(ctx, outcomes));
        done(outcomesExit(outcomes));
        return;
      }
      if (Boolean(opts.current) === Boolean(opts.live))
        throw new UsageError(
          "give --current <export.json> or --live (with --tenant and a sign-in), not both",
        );
      let current: SmimeExport;
      let currentLabel: string;
      if (opts.live) {
        const conn = singleConnection(opts, ctx);
        currentLabel = `tenant ${conn.tenant}`;
        current = (await readLive(connect(conn).client, currentLabel)).export;
      } else {
        currentLabel = opts.current as string;
        current = readSmimeExport(readInputFile(currentLabel), currentLabel);
      }
      const { state, certificates, skipped } = await loadDesired(
        opts.config,
        ctx,
        opts.password,
        opts.skipUnreadable,
        opts.pfxMaxIterations,
      );
      const now = ctx.now();
      const plan = makePlan(current, { certificates, settings: state.settings, issues: state.issues }, now, {
        warnDays,
      });
      const files = { current: currentLabel, config: opts.config };
      if (opts.json)
        writeData(
          ctx.out,
          `${JSON.stringify({ ...planJson(plan, files), ...skippedJson(skipped) }, null, 2)}\n`,
        );
      else ctx.out.stdout(planText(plan, files, ctx, now));
      done(plan.status === "refused" ? 1 : 0);
    },
  );
}
