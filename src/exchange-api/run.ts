/**
 * One tenant, start to end: sign in, read the live configuration, save the backup (the same JSON the
 * PowerShell apply script saves), plan, apply only what differs (not with what-if), read back until it
 * matches, and report the earliest expiry Exchange gives. Many tenants run this each on its own: a failure
 * is that tenant's outcome, never the others'.
 */
import { UsageError } from "../errors.js";
import type { SmimeExport } from "../exchange/export.js";
import { type ExchangePlan, makePlan } from "../exchange/plan.js";
import { redactSecrets } from "../lib/redact.js";
import { AppCertificateSignIn, DEFAULT_AUTHORITY, DeviceCodeSignIn, type TokenProvider } from "./auth.js";
import { DEFAULT_ENDPOINT, ExchangeOnlineClient } from "./client.js";
import type { AppCredential } from "./credential.js";
import { ExchangeApiError, SignInError } from "./errors.js";
import { defaultSleep, type HttpDeps } from "./http.js";
import { applyAndVerify, changesFor, readLive, type Target } from "./live.js";

export type SignIn =
  | { kind: "app"; appId: string; credential: AppCredential }
  | { kind: "device"; clientId: string; prompt: (line: string) => void };

export interface Connection {
  tenant: string;
  signIn: SignIn;
  authority?: string;
  endpoint?: string;
  http: HttpDeps;
}

/**
 * The authority and endpoint: the Microsoft defaults, or (for tests) the values given. Anything but https
 * is refused except on the loopback address, so a token never crosses a network in clear text.
 */
export function checkServiceUrl(value: string | undefined, what: string, fallback: string): string {
  if (value === undefined || value === "") return fallback;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${what}: '${value}' is not a URL`);
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback))
    throw new UsageError(`${what}: '${value}' must be https:// (http:// only on 127.0.0.1, for tests)`);
  if (u.username || u.password || u.search || u.hash)
    throw new UsageError(`${what}: '${u.origin}...' must be a plain URL`);
  return value.replace(/\/+$/, "");
}

export function connect(c: Connection): { client: ExchangeOnlineClient; auth: TokenProvider } {
  const authority = checkServiceUrl(c.authority, "authority", DEFAULT_AUTHORITY);
  const endpoint = checkServiceUrl(c.endpoint, "endpoint", DEFAULT_ENDPOINT);
  const opts = { authority, tenant: c.tenant, http: c.http };
  const auth =
    c.signIn.kind === "app"
      ? new AppCertificateSignIn(opts, c.signIn.appId, c.signIn.credential)
      : new DeviceCodeSignIn(opts, c.signIn.clientId, c.signIn.prompt);
  return { client: new ExchangeOnlineClient({ endpoint, auth, http: c.http }), auth };
}

export type TenantStatus = "exported" | "no-changes" | "changes" | "applied" | "refused" | "failed";

export interface TenantOutcome {
  name: string;
  tenant: string;
  status: TenantStatus;
  /** One line: what happened (or why not). */
  detail: string;
  plan?: ExchangePlan;
  current?: SmimeExport;
  /** The export/backup JSON read from the tenant. */
  json?: string;
  backupFile?: string;
  changed?: string[];
  /** What Get-SmimeConfig reports after the apply (or now). */
  reported?: { expiryDate?: string; thumbprint?: string };
  error?: { code: string; message: string };
  /** True when the failure was the sign-in. */
  signIn?: boolean;
}

export interface RunDeps {
  now: number;
  whatIf?: boolean;
  warnDays?: number;
  /** Writes the backup JSON; returns the file written. */
  saveBackup?: (json: string) => string;
  log: (line: string) => void;
  /** Shown the plan before anything changes (the CLI prints planText). */
  onPlan?: (plan: ExchangePlan, current: SmimeExport) => void;
  verifyAttempts?: number;
  verifyDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The plan shown for a target: makePlan with the target's certificates and settings. */
function planFor(current: SmimeExport, target: Target, now: number, warnDays?: number): ExchangePlan {
  return makePlan(
    current,
    { certificates: target.trust?.certificates, settings: Object.fromEntries(target.settings) },
    now,
    { warnDays },
  );
}

/** Reads, plans and (mode "apply") applies one tenant. Errors are thrown; runMany turns them into outcomes. */
export async function runTenant(
  name: string,
  conn: Connection,
  mode: "export" | "plan" | "apply",
  target: Target | undefined,
  deps: RunDeps,
): Promise<TenantOutcome> {
  const { client } = connect(conn);
  const base = { name, tenant: conn.tenant };
  const live = await readLive(client, `${name} (live)`);
  const current = live.export;
  const reportedNow = { expiryDate: current.expiryDate, thumbprint: current.expiryThumbprint };
  if (mode === "export" || !target)
    return { ...base, status: "exported", detail: "read", current, json: live.json, reported: reportedNow };
  const plan = planFor(current, target, deps.now, deps.warnDays);
  const changes = changesFor(current, target);
  const names = Object.keys(changes).sort();
  let backupFile: string | undefined;
  if (mode === "apply" && deps.saveBackup) {
    backupFile = deps.saveBackup(live.json);
    deps.log(
      `Saved the current configuration of ${name} to ${backupFile} (to restore it: smimetrust exchange apply --backup ${backupFile})`,
    );
  }
  deps.onPlan?.(plan, current);
  const common = { ...base, plan, current, json: live.json, backupFile, reported: reportedNow };
  if (plan.status === "refused")
    return { ...common, status: "refused", detail: plan.refusals.map((r) => r.code).join(", ") };
  if (names.length === 0)
    return { ...common, status: "no-changes", detail: "already as desired", changed: [] };
  if (mode === "plan" || deps.whatIf)
    return { ...common, status: "changes", detail: `would change ${names.join(", ")}`, changed: names };
  let result: Awaited<ReturnType<typeof applyAndVerify>>;
  try {
    result = await applyAndVerify(client, `${name} (after)`, target, changes, {
      attempts: deps.verifyAttempts ?? 6,
      delayMs: deps.verifyDelayMs ?? 10_000,
      sleep: deps.sleep ?? defaultSleep,
      log: deps.log,
    });
  } catch (e) {
    if (e instanceof ExchangeApiError && backupFile)
      throw new ExchangeApiError(`${e.message}. The previous configuration is saved in ${backupFile}.`, {
        status: e.status,
      });
    throw e;
  }
  for (const w of result.warnings) deps.log(`Exchange warned: ${redactSecrets(w, client.secrets())}`);
  return {
    ...common,
    status: "applied",
    detail: `changed and verified ${names.join(", ")}${result.attempts > 1 ? ` (read-back ${result.attempts})` : ""}`,
    changed: names,
    reported: { expiryDate: result.after.expiryDate, thumbprint: result.after.expiryThumbprint },
  };
}

/** An outcome for a tenant that could not be done; the error's one line, with secrets out. */
export function failedOutcome(
  name: string,
  tenant: string,
  e: unknown,
  secrets: string[] = [],
): TenantOutcome {
  const err = e as { code?: string; describe?: () => string; message?: string };
  const message = redactSecrets(
    typeof err.describe === "function" ? err.describe() : String(err.message ?? e),
    secrets,
  );
  const code = typeof err.code === "string" ? err.code : "ERR_SMIMETRUST";
  const refused =
    code === "ERR_EXPIRED_IN_LIST" ||
    code === "ERR_SST_TOO_LARGE" ||
    code === "ERR_EMPTY_LIST" ||
    code === "ERR_CONFIG";
  return {
    name,
    tenant,
    status: refused ? "refused" : "failed",
    detail: message,
    signIn: e instanceof SignInError,
    error: { code, message },
  };
}
