/**
 * What `exchange export`, `plan --live` and `apply` share: the sign-in options (app-only with a certificate,
 * or the device code flow), the Exchange Online connection, the tenants file, backups and the result table.
 * Preview: see docs/exchange-api.md.
 */
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../../errors.js";
import { readSmimeExport } from "../../../exchange/export.js";
import { EXCHANGE_MODULE_CLIENT_ID } from "../../../exchange-api/auth.js";
import { readAppCredential } from "../../../exchange-api/credential.js";
import type { HttpDeps } from "../../../exchange-api/http.js";
import { type Target, targetOf, targetOfBackup } from "../../../exchange-api/live.js";
import {
  type Connection,
  failedOutcome,
  type RunDeps,
  runTenant,
  type TenantOutcome,
} from "../../../exchange-api/run.js";
import {
  checkAppId,
  checkTenant,
  parseTenantsFile,
  runLimited,
  type TenantEntry,
} from "../../../exchange-api/tenants.js";
import { readInputFile, writeFileAtomic } from "../../../io/files.js";
import { oneLine } from "../../../lib/text.js";
import type { CliContext } from "../../context.js";
import { parseIntOption } from "../../options.js";
import { fitTo, table } from "../../output.js";
import { loadDesired, readText } from "./shared.js";

export interface LiveOpts {
  tenant?: string;
  appId?: string;
  certificate?: string;
  certificatePassword?: string;
  deviceCode?: boolean;
  clientId?: string;
  authority?: string;
  endpoint?: string;
  tenants?: string;
  parallel?: string;
}

export function liveOptions(cmd: Command, many = true): Command {
  cmd
    .option("--tenant <id>", "the tenant: its id (GUID) or its *.onmicrosoft.com domain")
    .option("--app-id <id>", "app-only sign-in: the application (client) id of the app registration")
    .option(
      "--certificate <file>",
      "app-only sign-in: the app's certificate with its private key (PEM or PFX)",
    )
    .option(
      "--certificate-password <password>",
      "password of an encrypted key or PFX (or SMIMETRUST_CERT_PASSWORD)",
    )
    .option(
      "--device-code",
      "delegated sign-in as an administrator with the device code flow (no app registration)",
    )
    .option(
      "--client-id <id>",
      "the public client for --device-code (default: the ExchangeOnlineManagement module's)",
    )
    .option("--authority <url>", "the sign-in authority, for tests only (or SMIMETRUST_EXCHANGE_AUTHORITY)")
    .option(
      "--endpoint <url>",
      "the Exchange Online endpoint, for tests only (or SMIMETRUST_EXCHANGE_ENDPOINT)",
    );
  if (many)
    cmd
      .option("--tenants <file>", "many tenants: a tenants file (tenant, app, certificate, config each)")
      .option("--parallel <n>", "with --tenants: how many tenants at a time", "4");
  return cmd;
}

export function httpDeps(ctx: CliContext): HttpDeps {
  return { log: (line) => ctx.out.stderr(`${oneLine(line)}\n`) };
}

function serviceUrls(o: LiveOpts, ctx: CliContext) {
  return {
    authority: o.authority ?? ctx.env.SMIMETRUST_EXCHANGE_AUTHORITY,
    endpoint: o.endpoint ?? ctx.env.SMIMETRUST_EXCHANGE_ENDPOINT,
  };
}

/** The one tenant's connection from the options (checked before any request). */
export function singleConnection(o: LiveOpts, ctx: CliContext): Connection {
  if (o.tenants) throw new UsageError("--tenants cannot be combined with --tenant");
  if (!o.tenant) throw new UsageError("give --tenant (or --tenants FILE for many tenants)");
  const tenant = checkTenant(o.tenant, "--tenant");
  const http = httpDeps(ctx);
  if (o.deviceCode) {
    if (o.appId || o.certificate)
      throw new UsageError(
        "--device-code (delegated sign-in) cannot be combined with --app-id or --certificate",
      );
    const clientId = o.clientId ? checkAppId(o.clientId, "--client-id") : EXCHANGE_MODULE_CLIENT_ID;
    return {
      tenant,
      ...serviceUrls(o, ctx),
      http,
      signIn: { kind: "device", clientId, prompt: (line) => ctx.out.stderr(`${line}\n`) },
    };
  }
  if (!o.appId || !o.certificate)
    throw new UsageError("app-only sign-in needs --app-id and --certificate (or use --device-code)");
  const appId = checkAppId(o.appId, "--app-id");
  const credential = readAppCredential(
    readInputFile(o.certificate),
    o.certificate,
    o.certificatePassword ?? ctx.env.SMIMETRUST_CERT_PASSWORD,
  );
  return { tenant, ...serviceUrls(o, ctx), http, signIn: { kind: "app", appId, credential } };
}

const stamp = (now: number) =>
  new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

/** Saves a backup in `dir` as smime-backup-<time>.json (with the tenant's name when there are many). */
export function backupSaver(dir: string, now: number, name?: string): (json: string) => string {
  return (json) => {
    const safe = name?.replace(/[^A-Za-z0-9._-]+/g, "_");
    let file = join(dir, `smime-backup-${safe ? `${safe}-` : ""}${stamp(now)}.json`);
    for (let i = 2; ; i++) {
      try {
        writeFileAtomic(file, json);
        return file;
      } catch (e) {
        if ((e as { code?: string }).code !== "ERR_REFUSED" || i > 50) throw e;
        file = join(dir, `smime-backup-${safe ? `${safe}-` : ""}${stamp(now)}-${i}.json`);
      }
    }
  };
}

/** The target: a backup to restore, or smime.config.json (with build's refusals, before any request). */
export async function loadTarget(
  ctx: CliContext,
  opts: { config: string; backup?: string; password?: string; skipUnreadable?: boolean },
  now: number,
): Promise<{ target: Target; label: string }> {
  if (opts.backup) {
    const backup = readSmimeExport(readInputFile(opts.backup), opts.backup);
    return { target: targetOfBackup(backup, now), label: opts.backup };
  }
  const { state, certificates } = await loadDesired(opts.config, ctx, opts.password, opts.skipUnreadable);
  return { target: targetOf(state, certificates, now), label: opts.config };
}

/** Many tenants: each signs in, reads, plans (and applies) on its own; a failure is that tenant's row. */
export async function runTenantsFile(
  ctx: CliContext,
  o: LiveOpts & { password?: string; skipUnreadable?: boolean; backupDir?: string },
  mode: "plan" | "apply",
  deps: Omit<RunDeps, "saveBackup" | "log">,
): Promise<TenantOutcome[]> {
  if (o.tenant || o.appId || o.certificate || o.deviceCode)
    throw new UsageError(
      "--tenants takes the tenant, app and certificate from the file; leave out --tenant, --app-id, --certificate and --device-code",
    );
  const parallel = parseIntOption(o.parallel ?? "4", "--parallel");
  if (parallel < 1 || parallel > 64) throw new UsageError("--parallel must be between 1 and 64");
  const file = o.tenants as string;
  const entries = parseTenantsFile(readText(file), file, dirname(resolve(file)));
  const targets = new Map<string, Promise<Target>>();
  const targetFor = (config: string) => {
    let t = targets.get(config);
    if (!t) {
      t = loadTarget(ctx, { config, password: o.password, skipUnreadable: o.skipUnreadable }, deps.now).then(
        (x) => x.target,
      );
      targets.set(config, t);
    }
    return t;
  };
  const urls = serviceUrls(o, ctx);
  return runLimited(entries, parallel, async (e: TenantEntry) => {
    const secrets: string[] = [];
    try {
      const target = await targetFor(e.config);
      const password = e.certificatePasswordEnv ? ctx.env[e.certificatePasswordEnv] : undefined;
      if (password) secrets.push(password);
      const credential = readAppCredential(readInputFile(e.certificate), e.certificate, password);
      const conn: Connection = {
        tenant: e.tenant,
        ...urls,
        http: { log: (line) => ctx.out.stderr(`${oneLine(`${e.name}: ${line}`)}\n`) },
        signIn: { kind: "app", appId: e.appId, credential },
      };
      return await runTenant(e.name, conn, mode, target, {
        ...deps,
        log: (line) => ctx.out.stderr(`${oneLine(`${e.name}: ${line}`)}\n`),
        saveBackup: backupSaver(o.backupDir ?? ".", deps.now, e.name),
      });
    } catch (err) {
      return failedOutcome(e.name, e.tenant, err, secrets);
    }
  });
}

export function outcomesTable(ctx: CliContext, outcomes: TenantOutcome[]): string {
  const rows = outcomes.map((r) => [
    r.name,
    r.status,
    r.changed?.length ? r.changed.join(", ") : "-",
    r.reported?.expiryDate ?? "-",
    r.detail,
  ]);
  const counts = new Map<string, number>();
  for (const r of outcomes) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
  return `${table(["tenant", "status", "changes", "earliest expiry", "detail"], rows, fitTo(ctx.out))}\n${outcomes.length} tenants: ${summary}\n`;
}

export function outcomeJson(r: TenantOutcome) {
  return {
    name: r.name,
    tenant: r.tenant,
    status: r.status,
    detail: r.detail,
    changed: r.changed ?? [],
    backup: r.backupFile ?? null,
    SMIMECertificatesExpiryDate: r.reported?.expiryDate ?? null,
    SMIMEExpiredCertificateThumbprint: r.reported?.thumbprint ?? null,
    ...(r.error ? { error: r.error } : {}),
  };
}

/** 2 when a tenant could not be done, 1 when one was refused, else 0. */
export function outcomesExit(outcomes: TenantOutcome[]): 0 | 1 | 2 {
  if (outcomes.some((r) => r.status === "failed")) return 2;
  if (outcomes.some((r) => r.status === "refused")) return 1;
  return 0;
}
