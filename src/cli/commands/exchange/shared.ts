/**
 * What the `smimetrust exchange ...` subcommands share: the sign-in options baked into the scripts (checked
 * before anything is written), output checks and the desired state.
 */

import { lstatSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { FileAccessError, RefusedError, UsageError } from "../../../errors.js";
import { type DesiredState, parseConfig } from "../../../exchange/config.js";
import type { ConnectDefaults, ListedCertificate } from "../../../exchange/script.js";
import {
  checkOutputPath,
  loadCertificates,
  readInputFile,
  type SkippedFile,
  skippedSummary,
} from "../../../io/files.js";
import { oneLine } from "../../../lib/text.js";
import type { Certificate } from "../../../x509/certificate.js";
import type { CliContext } from "../../context.js";
import { pfxMaxIterations } from "../../options.js";
import { writeData } from "../../output.js";

export interface ConnectOpts {
  upn?: string;
  appId?: string;
  certificateThumbprint?: string;
  organization?: string;
}

export function connectOptions(cmd: Command): Command {
  return cmd
    .option("--upn <user>", "bake in -UserPrincipalName (interactive sign-in) as the default")
    .option("--app-id <id>", "bake in -AppId (app-only sign-in) as the default")
    .option(
      "--certificate-thumbprint <thumbprint>",
      "bake in -CertificateThumbprint (app-only) as the default",
    )
    .option(
      "--organization <domain>",
      "bake in -Organization, e.g. contoso.onmicrosoft.com (app-only) as the default",
    );
}

const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
/** An address: local part @ domain with a dot, no spaces or control characters. */
const UPN = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/u;
/** A DNS name such as contoso.onmicrosoft.com. */
const DOMAIN = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/;

/**
 * The sign-in values as the script's defaults, after checking they can work: app-only needs all three of
 * --app-id, --certificate-thumbprint and --organization; a thumbprint is 40 hex digits; a UPN is an address;
 * --upn and the app-only options exclude each other (the script would otherwise have to pick one silently).
 */
export function connectDefaults(o: ConnectOpts): ConnectDefaults {
  const appOnly = [
    ["--app-id", o.appId],
    ["--certificate-thumbprint", o.certificateThumbprint],
    ["--organization", o.organization],
  ] as const;
  const given = appOnly.filter(([, v]) => v !== undefined);
  if (o.upn !== undefined && given.length > 0)
    throw new UsageError(
      `--upn (interactive sign-in) cannot be combined with ${given.map(([n]) => n).join(", ")} (app-only sign-in); give one or the other`,
    );
  if (given.length > 0 && given.length < 3)
    throw new UsageError(
      `app-only sign-in needs --app-id, --certificate-thumbprint and --organization; missing ${appOnly
        .filter(([, v]) => v === undefined)
        .map(([n]) => n)
        .join(" and ")}`,
    );
  if (o.upn !== undefined && !UPN.test(o.upn))
    throw new UsageError(
      `--upn: ${JSON.stringify(o.upn)} is not a user principal name (an address like admin@contoso.com)`,
    );
  if (o.certificateThumbprint !== undefined && !THUMBPRINT.test(o.certificateThumbprint))
    throw new UsageError(
      `--certificate-thumbprint: ${JSON.stringify(o.certificateThumbprint)} is not a thumbprint (40 hexadecimal digits)`,
    );
  if (o.organization !== undefined && !DOMAIN.test(o.organization))
    throw new UsageError(
      `--organization: ${JSON.stringify(o.organization)} is not a domain name (e.g. contoso.onmicrosoft.com)`,
    );
  if (o.appId !== undefined && !/^[\x21-\x7e]+$/.test(o.appId))
    throw new UsageError(`--app-id: ${JSON.stringify(o.appId)} is not an application (client) ID`);
  return {
    userPrincipalName: o.upn,
    appId: o.appId,
    certificateThumbprint: o.certificateThumbprint?.toUpperCase(),
    organization: o.organization,
  };
}

export function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function printJson(ctx: CliContext, doc: unknown): void {
  writeData(ctx.out, `${JSON.stringify(doc, null, 2)}\n`);
}

/** Every output can be written (a file in an existing folder, not a folder itself) before anything is. */
export function checkOutputs(paths: string[], force?: boolean): void {
  for (const p of paths) {
    // A symbolic link is refused (never written through nor replaced), before anything is written.
    if (lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) checkOutputPath(p, force);
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(p);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) throw new FileAccessError("cannot write: is a folder", { file: p });
    if (st && !force) throw new RefusedError("exists already; use --force to replace it", { file: p });
    let dir: ReturnType<typeof statSync> | undefined;
    try {
      dir = statSync(dirname(p));
    } catch {
      dir = undefined;
    }
    if (!dir?.isDirectory())
      throw new FileAccessError(`cannot write: no folder '${dirname(p)}'`, { file: p });
  }
}

export function readText(file: string): string {
  const b = readInputFile(file);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
}

export async function loadDesired(
  configFile: string,
  ctx: CliContext,
  password?: string,
  skipUnreadable?: boolean,
  maxIterations?: string,
): Promise<{ state: DesiredState; certificates?: Certificate[]; skipped: SkippedFile[] }> {
  const state = parseConfig(readText(configFile), configFile);
  if (!state.trustPaths) return { state, skipped: [] };
  const loaded = await loadCertificates(state.trustPaths, {
    password: password ?? ctx.env.SMIMETRUST_PFX_PASSWORD,
    skipUnreadable,
    pfxMaxIterations: pfxMaxIterations(maxIterations),
    stdin: ctx.stdin,
  });
  for (const w of loaded.warnings) ctx.out.stderr(`warning: ${oneLine(w)}\n`);
  if (loaded.skipped.length) ctx.out.stderr(`skipped ${oneLine(skippedSummary(loaded.skipped))}\n`);
  return { state, certificates: loaded.certificates, skipped: loaded.skipped };
}

export function listed(c: Certificate): ListedCertificate {
  return { name: c.name, sha1: c.sha1, notAfter: c.notAfter };
}

export const SKIP_UNREADABLE_HELP =
  "leave out files in the trust folders that cannot be read (a PFX without its password, a truncated file) instead of stopping";
