/**
 * The monitor's configuration: schema validation (ajv, schema/monitor.schema.json) plus the checks a
 * schema cannot make (cron syntax, URLs, paths that exist, names that refer to each other), each error
 * naming the key ("sinks[1].url: ..."). Paths are resolved relative to the config file.
 * `validateMonitorConfig` is pure apart from the `exists` function it is given.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { Cron } from "croner";
import { SmimetrustError, UsageError } from "../errors.js";
import { readInputFile } from "../io/files.js";
import { isKnownProblem, type Severity } from "../problems.js";

export interface Threshold {
  days: number;
  severity: Severity;
}

export const DEFAULT_THRESHOLDS: Threshold[] = [
  { days: 90, severity: "info" },
  { days: 30, severity: "warning" },
  { days: 7, severity: "error" },
];

/** Which alerts a sink takes: all given conditions must hold (owners: any of them; labels: every pair). */
export interface SinkRoute {
  owners?: string[];
  labels?: Record<string, string>;
  minSeverity?: Severity;
}

interface SinkBase {
  name: string;
  minSeverity?: Severity;
  /** Only alerts that match (a "routed" sink). */
  route?: SinkRoute;
  /** The default sink: takes the alerts that no routed sink's owners/labels claimed. */
  default?: boolean;
  /** change (default): one message per change; digest: one summary of every open finding on `schedule`. */
  mode?: "change" | "digest";
  /** Cron expression of a digest sink. */
  schedule?: string;
}
export type SinkConfig =
  | (SinkBase & { type: "webhook"; url: string; headers?: Record<string, string>; timeoutMs?: number })
  | (SinkBase & { type: "teams" | "slack"; url: string; timeoutMs?: number })
  | (SinkBase & {
      type: "email";
      host: string;
      port?: number;
      secure?: boolean;
      requireTLS?: boolean;
      user?: string;
      passwordEnv?: string;
      from: string;
      to: string[];
      timeoutMs?: number;
    })
  | (SinkBase & { type: "log" });

/** Owner and labels of one certificate, overriding its source's (by SHA-1 thumbprint, upper-case hex). */
export interface CertificateOverride {
  sha1: string;
  owner?: string;
  labels?: Record<string, string>;
  /** Top-level entries only: the source it applies to (absent: every source). */
  source?: string;
}

export interface TrustListSource {
  name: string;
  /** Absolute paths, read together as one list. */
  paths: string[];
  maxAgeHours?: number;
  owner?: string;
  labels?: Record<string, string>;
  certificates?: CertificateOverride[];
}

export interface UserCertSource {
  name: string;
  path: string;
  trustList?: string;
  owner?: string;
  labels?: Record<string, string>;
  certificates?: CertificateOverride[];
}

/** "Remind every `everyDays` days once fewer than `below` days are left." */
export interface RepeatRule {
  below: number;
  everyDays: number;
}

/** A permanent exception from monitor.json: matching findings send nothing until `expires`. */
export interface AcceptRule {
  /** Its place in the file ("accept[0]"), how messages name it. */
  id: string;
  sha1?: string;
  code?: string;
  source?: string;
  reason: string;
  /** When it stops applying (ms; 00:00 UTC of the date given). */
  expires: number;
}

/** Preview: Exchange Online tenants read live (the tenants file of `exchange apply --tenants`). */
export interface ExchangeTenantsSource {
  name: string;
  /** The tenants file, absolute. */
  tenants: string;
  /** Owner and labels of every tenant's live list (watched as "<name>/<tenant>"). */
  owner?: string;
  labels?: Record<string, string>;
}

export interface MonitorConfig {
  /** The config file (absolute). */
  file: string;
  schedule: string;
  timezone?: string;
  runOnStart: boolean;
  database: string;
  /** How long SQLite waits for a lock held by another process, in ms (default 5000). */
  databaseBusyTimeoutMs: number;
  /** Leave unreadable files of watched folders out (each still a CHECK_FAILED) instead of failing the source. */
  skipUnreadable: boolean;
  failOn: Severity;
  /** Sorted from the widest window to the narrowest. */
  thresholds: Threshold[];
  trustLists: TrustListSource[];
  userCertificates: UserCertSource[];
  /** Preview: Exchange Online tenants read live (absent: none). */
  exchangeTenants?: ExchangeTenantsSource[];
  alerts: { mode: "change" | "digest"; minSeverity: Severity; retryMinutes: number };
  sinks: SinkConfig[];
  metrics?: { port: number; host: string };
  // Optional so that configurations built in code (tests, other front ends) need not spell them out.
  /** Owner/label overrides by certificate for every source (or the one named). */
  certificates?: CertificateOverride[];
  /** Reminders below a number of days left, narrowest `below` first (absent: none). */
  repeat?: RepeatRule[];
  /** Permanent exceptions (absent: none). */
  accept?: AcceptRule[];
  /** MONITOR_STALE when this many scheduled runs were missed since the last completed run (0: off; absent: 2). */
  staleAfterPeriods?: number;
}

let compiled: ReturnType<Ajv["compile"]> | undefined;

/**
 * schema/monitor.schema.json of this package: the nearest folder upwards from this module that has it (src/monitor,
 * dist/monitor, the bundle's dist/chunks, a test's bundle under node_modules/.cache).
 */
function schemaPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, up = 0; up < 6; up++, dir = dirname(dir)) {
    const p = join(dir, "schema", "monitor.schema.json");
    if (existsSync(p)) return p;
  }
  return join(here, "../..", "schema", "monitor.schema.json");
}

function validator() {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiled = ajv.compile(JSON.parse(readFileSync(schemaPath(), "utf8")));
  }
  return compiled;
}

/** "/sinks/0/url" -> "sinks[0].url" */
export function keyPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || "(top level)";
}

function describeAjv(e: ErrorObject): string | undefined {
  switch (e.keyword) {
    case "if":
    case "oneOf":
    case "anyOf":
      return e.keyword === "anyOf" && e.instancePath === ""
        ? "(top level): give trustLists or userCertificates (or exchangeTenants)"
        : undefined;
    case "propertyNames":
      return undefined; // its "pattern" error names the key
    case "pattern":
      if (e.propertyName !== undefined)
        return `${keyPath(e.instancePath)}: '${e.propertyName}' is not a label name (letters, digits, _ . -, not starting with a digit)`;
      return `${keyPath(e.instancePath)}: ${e.message ?? "invalid"}`;
    case "additionalProperties":
      return `${keyPath(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty)}: unknown key`;
    case "required":
      return `${keyPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: required`;
    case "enum":
      return `${keyPath(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${keyPath(e.instancePath)}: ${e.message ?? "invalid"}`;
  }
}

/** The document as the schema guarantees it (before the semantic checks). */
interface RawSink {
  type: SinkConfig["type"];
  name?: string;
  url?: string;
  from?: string;
  to?: string[];
  mode?: "change" | "digest";
  schedule?: string;
  default?: boolean;
  route?: SinkRoute;
  [key: string]: unknown;
}
interface RawConfig {
  schedule: string;
  timezone?: string;
  runOnStart?: boolean;
  database?: string;
  databaseBusyTimeoutSeconds?: number;
  skipUnreadable?: boolean;
  failOn?: Severity;
  thresholds?: Threshold[];
  trustLists?: ({ name: string; path: string | string[]; maxAgeHours?: number } & RawOwned)[];
  userCertificates?: ({ name: string; path: string; trustList?: string } & RawOwned)[];
  certificates?: RawOverride[];
  repeat?: RepeatRule[];
  staleAfterPeriods?: number;
  accept?: { sha1?: string; code?: string; source?: string; reason: string; expires: string }[];
  exchangeTenants?: ({ name: string; tenants: string } & Omit<RawOwned, "certificates">)[];
  alerts?: { mode?: "change" | "digest"; minSeverity?: Severity; retryMinutes?: number };
  sinks: RawSink[];
  metrics?: { port: number; host?: string };
}

interface RawOverride {
  sha1: string;
  owner?: string;
  labels?: Record<string, string>;
  source?: string;
}
interface RawOwned {
  owner?: string;
  labels?: Record<string, string>;
  certificates?: RawOverride[];
}

/** A thumbprint as the monitor keys it: 40 upper-case hex digits (colons and spaces dropped). */
export function normalizeSha1(v: string): string | undefined {
  const h = v.replace(/[\s:]/g, "").toUpperCase();
  return /^[0-9A-F]{40}$/.test(h) ? h : undefined;
}

function overrides(key: string, list: RawOverride[] | undefined, errors: string[]): CertificateOverride[] {
  const out: CertificateOverride[] = [];
  const seen = new Set<string>();
  (list ?? []).forEach((o, i) => {
    const sha1 = normalizeSha1(o.sha1);
    if (!sha1) {
      errors.push(`${key}[${i}].sha1: '${o.sha1}' is not a SHA-1 thumbprint (40 hex digits)`);
      return;
    }
    const id = `${o.source ?? ""}|${sha1}`;
    if (seen.has(id)) errors.push(`${key}[${i}].sha1: ${sha1} is listed twice`);
    seen.add(id);
    out.push({
      sha1,
      ...(o.owner !== undefined ? { owner: o.owner } : {}),
      ...(o.labels ? { labels: { ...o.labels } } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
    });
  });
  return out;
}

function owned(
  key: string,
  r: RawOwned,
  errors: string[],
): Pick<TrustListSource, "owner" | "labels" | "certificates"> {
  const certificates = overrides(`${key}.certificates`, r.certificates, errors);
  return {
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    ...(r.labels ? { labels: { ...r.labels } } : {}),
    ...(certificates.length ? { certificates } : {}),
  };
}

function checkCron(key: string, expr: string, timezone: string | undefined, errors: string[]): void {
  try {
    const c = new Cron(expr, { paused: true, timezone });
    c.stop();
  } catch (e) {
    errors.push(
      `${key}: '${expr}' is not a cron expression (${(e as Error).message.replace(/^CronPattern: /, "")})`,
    );
  }
}

export interface ValidateDeps {
  /** Whether a path exists (files or folders). */
  exists: (path: string) => boolean;
  /** Directory relative paths are resolved against (the config file's folder). */
  baseDir: string;
  file: string;
}

function checkUrl(key: string, v: string, errors: string[]): void {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    errors.push(`${key}: '${v}' is not a URL`);
    return;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    errors.push(`${key}: '${v}' must be an http:// or https:// URL`);
}

/** Validates a parsed config document; throws one UsageError listing every problem, each naming its key. */
export function validateMonitorConfig(doc: unknown, deps: ValidateDeps): MonitorConfig {
  const validate = validator();
  const errors: string[] = [];
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      const m = describeAjv(e);
      if (m && !errors.includes(m)) errors.push(m);
    }
    throw new UsageError(`invalid configuration: ${errors.join("; ")}`, { file: deps.file });
  }
  const raw = doc as RawConfig;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(deps.baseDir, p));

  checkCron("schedule", raw.schedule, raw.timezone, errors);

  const trustLists: TrustListSource[] = [];
  const seen = new Set<string>();
  (raw.trustLists ?? []).forEach((t, i) => {
    if (seen.has(t.name)) errors.push(`trustLists[${i}].name: '${t.name}' is used twice`);
    seen.add(t.name);
    const list: string[] = Array.isArray(t.path) ? t.path : [t.path];
    const paths = list.map((x, j) => {
      const p = abs(x);
      if (!deps.exists(p))
        errors.push(`trustLists[${i}].path${Array.isArray(t.path) ? `[${j}]` : ""}: ${p} does not exist`);
      return p;
    });
    trustLists.push({
      name: t.name,
      paths,
      ...(t.maxAgeHours !== undefined ? { maxAgeHours: t.maxAgeHours } : {}),
      ...owned(`trustLists[${i}]`, t, errors),
    });
  });
  const userCertificates: UserCertSource[] = [];
  (raw.userCertificates ?? []).forEach((u, i) => {
    if (seen.has(u.name)) errors.push(`userCertificates[${i}].name: '${u.name}' is used twice`);
    seen.add(u.name);
    const p = abs(u.path);
    if (!deps.exists(p)) errors.push(`userCertificates[${i}].path: ${p} does not exist`);
    if (u.trustList !== undefined && !trustLists.some((t) => t.name === u.trustList)) {
      errors.push(`userCertificates[${i}].trustList: no trustLists entry is named '${u.trustList}'`);
    }
    userCertificates.push({
      name: u.name,
      path: p,
      ...(u.trustList ? { trustList: u.trustList } : {}),
      ...owned(`userCertificates[${i}]`, u, errors),
    });
  });

  const exchangeTenants: ExchangeTenantsSource[] = [];
  (raw.exchangeTenants ?? []).forEach((x, i) => {
    if (seen.has(x.name)) errors.push(`exchangeTenants[${i}].name: '${x.name}' is used twice`);
    seen.add(x.name);
    const p = abs(x.tenants);
    if (!deps.exists(p)) errors.push(`exchangeTenants[${i}].tenants: ${p} does not exist`);
    exchangeTenants.push({
      name: x.name,
      tenants: p,
      ...(x.owner !== undefined ? { owner: x.owner } : {}),
      ...(x.labels ? { labels: { ...x.labels } } : {}),
    });
  });

  const sinkNames = new Set<string>();
  const sinks: SinkConfig[] = raw.sinks.map((s, i) => {
    const name =
      s.name ?? (raw.sinks.filter((x) => x.type === s.type).length > 1 ? `${s.type}#${i}` : s.type);
    if (sinkNames.has(name)) errors.push(`sinks[${i}].name: '${name}' is used twice`);
    sinkNames.add(name);
    if (s.type === "webhook" || s.type === "teams" || s.type === "slack")
      checkUrl(`sinks[${i}].url`, s.url ?? "", errors);
    if (s.type === "email") {
      const addr = /^[^\s@<>]+@[^\s@<>]+$|^.*<[^\s@<>]+@[^\s@<>]+>$/;
      if (!addr.test(s.from ?? "")) errors.push(`sinks[${i}].from: '${s.from}' is not an e-mail address`);
      (s.to ?? []).forEach((t, j) => {
        if (!addr.test(t)) errors.push(`sinks[${i}].to[${j}]: '${t}' is not an e-mail address`);
      });
    }
    if (s.mode === "digest") {
      if (typeof s.schedule !== "string")
        errors.push(`sinks[${i}].schedule: required with "mode": "digest" (a cron expression)`);
      else checkCron(`sinks[${i}].schedule`, s.schedule, raw.timezone, errors);
    } else if (s.schedule !== undefined)
      errors.push(`sinks[${i}].schedule: only a sink with "mode": "digest" has a schedule`);
    if (s.default === true && s.route !== undefined)
      errors.push(
        `sinks[${i}].default: a default sink takes what no route claimed, so it has no route of its own`,
      );
    return { ...s, name } as SinkConfig;
  });

  const certificates = overrides("certificates", raw.certificates, errors);
  certificates.forEach((c, i) => {
    if (c.source !== undefined && !seen.has(c.source))
      errors.push(
        `certificates[${i}].source: no trustLists or userCertificates entry is named '${c.source}'`,
      );
  });

  const repeat = (raw.repeat ?? []).map((r) => ({ below: r.below, everyDays: r.everyDays }));
  const belows = repeat.map((r) => r.below);
  if (new Set(belows).size !== belows.length) errors.push("repeat: two rules have the same below");
  repeat.sort((a, b) => a.below - b.below);

  const accept: AcceptRule[] = [];
  (raw.accept ?? []).forEach((a, i) => {
    const key = `accept[${i}]`;
    let sha1: string | undefined;
    if (a.sha1 !== undefined) {
      sha1 = normalizeSha1(a.sha1);
      if (!sha1) errors.push(`${key}.sha1: '${a.sha1}' is not a SHA-1 thumbprint (40 hex digits)`);
    }
    if (a.code !== undefined && !isKnownProblem(a.code))
      errors.push(`${key}.code: '${a.code}' is not a problem code`);
    if (a.source !== undefined && !seen.has(a.source))
      errors.push(`${key}.source: no trustLists or userCertificates entry is named '${a.source}'`);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(a.expires);
    const expires = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
    if (!m || Number.isNaN(expires) || new Date(expires).toISOString().slice(0, 10) !== a.expires)
      errors.push(`${key}.expires: '${a.expires}' is not a date (YYYY-MM-DD)`);
    if (!a.reason.trim()) errors.push(`${key}.reason: empty`);
    accept.push({
      id: key,
      ...(sha1 ? { sha1 } : {}),
      ...(a.code !== undefined ? { code: a.code } : {}),
      ...(a.source !== undefined ? { source: a.source } : {}),
      reason: a.reason,
      expires,
    });
  });

  const thresholds: Threshold[] = (raw.thresholds ?? DEFAULT_THRESHOLDS).map((t: Threshold) => ({
    days: t.days,
    severity: t.severity,
  }));
  const days = thresholds.map((t) => t.days);
  if (new Set(days).size !== days.length) errors.push("thresholds: two thresholds have the same days");
  thresholds.sort((a, b) => b.days - a.days);

  if (errors.length) throw new UsageError(`invalid configuration: ${errors.join("; ")}`, { file: deps.file });
  return {
    file: deps.file,
    schedule: raw.schedule,
    ...(raw.timezone ? { timezone: raw.timezone } : {}),
    runOnStart: raw.runOnStart ?? true,
    database: abs(raw.database ?? "monitor.sqlite"),
    databaseBusyTimeoutMs: Math.round((raw.databaseBusyTimeoutSeconds ?? 5) * 1000),
    skipUnreadable: raw.skipUnreadable ?? false,
    failOn: raw.failOn ?? "warning",
    thresholds,
    trustLists,
    userCertificates,
    exchangeTenants,
    alerts: {
      mode: raw.alerts?.mode ?? "change",
      minSeverity: raw.alerts?.minSeverity ?? "info",
      retryMinutes: raw.alerts?.retryMinutes ?? 15,
    },
    sinks,
    ...(raw.metrics ? { metrics: { port: raw.metrics.port, host: raw.metrics.host ?? "127.0.0.1" } } : {}),
    certificates,
    repeat,
    accept,
    staleAfterPeriods: raw.staleAfterPeriods ?? 2,
  };
}

/** Reads and validates a config file (the I/O edge). */
export function loadMonitorConfig(file: string, exists: (p: string) => boolean): MonitorConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = Buffer.from(readInputFile(abs)).toString("utf8");
  } catch (e) {
    if (!(e instanceof SmimetrustError)) throw e;
    throw new UsageError(`cannot read the configuration: ${e.message.replace(/^cannot read: /, "")}`, {
      file,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new UsageError(`the configuration is not valid JSON: ${(e as Error).message}`, { file });
  }
  return validateMonitorConfig(doc, { exists, baseDir: dirname(abs), file });
}
