/**
 * What the dashboard shows, read once when `serve` starts (and again on reload): the trust list (files named
 * on the command line and the monitor config's trust lists), the user certificates, the audit's findings, the
 * pending list's diff, and inventory rows prepared for fast filtering and sorting.
 */
import { isAbsolute, relative } from "node:path";
import process from "node:process";
import { auditTrustList, DAY_MS, daysLeft, sstSizeOf } from "../audit/check.js";
import { diffBreakage, diffTrustLists, type LeafBreakage, type TrustListDiff } from "../audit/diff.js";
import { type LeafResult, validateLeaves } from "../audit/leaves.js";
import { loadLeaves, loadTrustSources } from "../io/trust-sources.js";
import { DEFAULT_THRESHOLDS, type MonitorConfig, type Threshold } from "../monitor/config.js";
import { validateChain } from "../path/validate.js";
import type { Problem } from "../problems.js";
import { TrustList } from "../trust/trust-list.js";
import type { Certificate } from "../x509/certificate.js";

/** A path as the dashboard shows it: relative to the working folder when inside it. */
export function shortPath(p: string, cwd = process.cwd()): string {
  const r = relative(cwd, p);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : p;
}

export interface InventoryRow {
  subject: string;
  issuer: string;
  name: string;
  role: Certificate["role"];
  sha1: string;
  sha256: string;
  notAfter: number;
  daysLeft: number;
  key: string;
  eku: string[];
  /** Where it comes from: the monitor config's list name, or "command line". */
  scope: string;
  /** Lower-cased text the search box matches. */
  search: string;
}

export interface DashboardInput {
  /** Trust-list inputs named on the command line (files, folders, exports). */
  inputs: readonly string[];
  /** A pending list to compare with the one in use. */
  pending?: readonly string[];
  /** User certificates (besides the config's). */
  leaves?: readonly string[];
  config?: MonitorConfig;
  password?: string;
  skipUnreadable?: boolean;
  now: number;
  warnDays?: number;
}

export interface Dashboard {
  now: number;
  certificates: Certificate[];
  list: TrustList;
  leaves: Certificate[];
  leafResults: LeafResult[];
  findings: Problem[];
  rows: InventoryRow[];
  thresholds: Threshold[];
  warnDays: number;
  schedule?: string;
  sstBytes: number;
  sources: string[];
  warnings: string[];
  exports: { file: string; properties: Record<string, unknown> }[];
  pending?: { sources: string[]; certificates: Certificate[]; diff: TrustListDiff; breakage: LeafBreakage[] };
}

export function inventoryRow(c: Certificate, now: number, scope: string): InventoryRow {
  const subject = c.subject.toString();
  const issuer = c.issuer.toString();
  const eku = c.extKeyUsageNames;
  const key = c.keyDescription;
  return {
    subject,
    issuer,
    name: c.name,
    role: c.role,
    sha1: c.sha1,
    sha256: c.sha256,
    notAfter: c.notAfter,
    daysLeft: daysLeft(c.notAfter, now),
    key,
    eku,
    scope,
    search: `${subject}\n${issuer}\n${c.sha1}\n${c.sha256}\n${key}\n${eku.join(" ")}\n${scope}`.toLowerCase(),
  };
}

export async function loadDashboard(i: DashboardInput): Promise<Dashboard> {
  const opts = { password: i.password, skipUnreadable: i.skipUnreadable };
  const warnings: string[] = [];
  const exports: Dashboard["exports"] = [];
  const scopes = new Map<string, string>();
  const all: Certificate[] = [];
  const sources: string[] = [];
  let sstBytes: number | undefined;
  const take = async (paths: readonly string[], scope: string) => {
    const src = await loadTrustSources(paths, opts);
    warnings.push(...src.warnings);
    exports.push(...src.exports);
    for (const c of src.certificates) if (!scopes.has(c.sha1)) scopes.set(c.sha1, scope);
    all.push(...src.certificates);
    sources.push(...paths.map((x) => shortPath(x)));
    if (src.sstBytes !== undefined) sstBytes = src.sstBytes;
  };
  if (i.inputs.length) await take(i.inputs, "command line");
  for (const t of i.config?.trustLists ?? []) await take(t.paths, t.name);
  const list = new TrustList(all);
  const certificates = list.certificates;
  if (sources.length !== 1) sstBytes = undefined;
  const size = sstBytes ?? (certificates.length ? sstSizeOf(certificates) : 0);
  const warnDays = i.warnDays ?? 30;
  const findings = certificates.length
    ? auditTrustList(certificates, { now: i.now, warnDays, sstBytes: size })
    : [];

  const leafInputs = [...(i.leaves ?? []), ...(i.config?.userCertificates ?? []).map((u) => u.path)];
  const leaves = leafInputs.length ? await loadLeaves(leafInputs, warnings, i.password, opts) : [];
  const anchors = certificates.filter((c) => c.isCA || c.isSelfSigned);
  const leafResults = leaves.length
    ? await validateLeaves(leaves, anchors, { now: i.now, validate: validateChain })
    : [];
  findings.push(...leafResults.flatMap((l) => l.problems));

  let pending: Dashboard["pending"];
  if (i.pending?.length) {
    const src = await loadTrustSources(i.pending, opts);
    warnings.push(...src.warnings);
    const diff = diffTrustLists(certificates, src.certificates);
    const breakage = leaves.length
      ? await diffBreakage(leaves, certificates, src.certificates, { now: i.now, validate: validateChain })
      : [];
    pending = { sources: i.pending.map((x) => shortPath(x)), certificates: src.certificates, diff, breakage };
  }
  const rows = certificates.map((c) => inventoryRow(c, i.now, scopes.get(c.sha1) ?? "command line"));
  return {
    now: i.now,
    certificates,
    list,
    leaves,
    leafResults,
    findings,
    rows,
    thresholds: i.config?.thresholds ?? DEFAULT_THRESHOLDS,
    warnDays,
    schedule: i.config?.schedule,
    sstBytes: size,
    sources,
    warnings,
    exports,
    pending,
  };
}

// ---- inventory filters (kept in the URL) ----

export const SORT_KEYS = ["notAfter", "subject", "issuer", "role", "sha1", "key", "scope"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface InventoryQuery {
  q: string;
  role: "" | "ca" | "root" | "intermediate" | "leaf";
  status: "" | "expired" | "expiring" | "ok";
  /** Not expired and expiring within this many days (0: no limit). */
  within: number;
  sort: SortKey;
  dir: "asc" | "desc";
  page: number;
}

export const PAGE_SIZE = 250;

/** Reads the filters from URL parameters; anything unknown falls back to its default (never an error). */
export function parseInventoryQuery(p: URLSearchParams | Record<string, string | undefined>): InventoryQuery {
  const get = (k: string) => (p instanceof URLSearchParams ? (p.get(k) ?? "") : (p[k] ?? ""));
  const role = get("role");
  const status = get("status");
  const sort = get("sort");
  const within = /^\d{1,5}$/.test(get("within")) ? Number(get("within")) : 0;
  const page = /^\d{1,6}$/.test(get("page")) ? Math.max(1, Number(get("page"))) : 1;
  return {
    q: get("q").slice(0, 200),
    role: (["ca", "root", "intermediate", "leaf"].includes(role) ? role : "") as InventoryQuery["role"],
    status: (["expired", "expiring", "ok"].includes(status) ? status : "") as InventoryQuery["status"],
    within,
    sort: ((SORT_KEYS as readonly string[]).includes(sort) ? sort : "notAfter") as SortKey,
    dir: get("dir") === "desc" ? "desc" : "asc",
    page,
  };
}

/** The URL parameters of a query, defaults left out (so links stay short). */
export function queryString(q: InventoryQuery, change: Partial<InventoryQuery> = {}): string {
  const v = { ...q, ...change };
  const p = new URLSearchParams();
  if (v.q) p.set("q", v.q);
  if (v.role) p.set("role", v.role);
  if (v.status) p.set("status", v.status);
  if (v.within) p.set("within", String(v.within));
  if (v.sort !== "notAfter") p.set("sort", v.sort);
  if (v.dir !== "asc") p.set("dir", v.dir);
  if (v.page > 1) p.set("page", String(v.page));
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function rowStatus(r: InventoryRow, warnDays: number): "expired" | "expiring" | "ok" {
  return r.daysLeft < 0 ? "expired" : r.daysLeft < warnDays ? "expiring" : "ok";
}

export function filterRows(d: Dashboard, q: InventoryQuery): InventoryRow[] {
  const needle = q.q.trim().toLowerCase();
  const out = d.rows.filter((r) => {
    if (q.role === "ca" ? r.role === "leaf" : q.role && r.role !== q.role) return false;
    if (q.status && rowStatus(r, d.warnDays) !== q.status) return false;
    if (q.within && (r.daysLeft < 0 || r.daysLeft >= q.within)) return false;
    return !needle || r.search.includes(needle);
  });
  const k = q.sort;
  const sign = q.dir === "desc" ? -1 : 1;
  out.sort((a, b) => {
    const x = a[k];
    const y = b[k];
    const c = typeof x === "number" ? x - (y as number) : x < y ? -1 : x > y ? 1 : 0;
    return sign * (c || (a.sha1 < b.sha1 ? -1 : 1));
  });
  return out;
}

/** The inventory JSON export: the filtered rows, times in ISO 8601 UTC. */
export function inventoryJson(rows: readonly InventoryRow[]) {
  return {
    certificates: rows.map((r) => ({
      subject: r.subject,
      issuer: r.issuer,
      role: r.role,
      sha1: r.sha1,
      sha256: r.sha256,
      notAfter: new Date(r.notAfter).toISOString(),
      daysLeft: r.daysLeft,
      key: r.key,
      eku: r.eku,
      scope: r.scope,
    })),
  };
}

/** CSV (RFC 4180) of the filtered rows; a cell starting with = + - @ is prefixed with ' (no formula injection). */
export function inventoryCsv(rows: readonly InventoryRow[]): string {
  const cell = (v: string | number) => {
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ["subject", "issuer", "role", "sha1", "sha256", "notAfter", "daysLeft", "key", "eku", "scope"];
  const lines = [head.join(",")];
  for (const r of rows)
    lines.push(
      [
        r.subject,
        r.issuer,
        r.role,
        r.sha1,
        r.sha256,
        new Date(r.notAfter).toISOString(),
        r.daysLeft,
        r.key,
        r.eku.join(" "),
        r.scope,
      ]
        .map(cell)
        .join(","),
    );
  return `${lines.join("\r\n")}\r\n`;
}

// ---- expiry forecast ----

export interface Bucket {
  label: string;
  start: number;
  end: number;
  count: number;
}

/** Certificates (not yet expired) expiring in each of the next 13 weeks and 12 months. */
export function forecast(d: Dashboard): { weeks: Bucket[]; months: Bucket[] } {
  const weeks: Bucket[] = [];
  for (let w = 0; w < 13; w++) {
    const start = d.now + w * 7 * DAY_MS;
    weeks.push({ label: `W${w + 1}`, start, end: start + 7 * DAY_MS, count: 0 });
  }
  const months: Bucket[] = [];
  const n = new Date(d.now);
  for (let m = 0; m < 12; m++) {
    const start = m === 0 ? d.now : Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + m, 1);
    const end = Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + m + 1, 1);
    const label = new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + m, 1)).toISOString().slice(0, 7);
    months.push({ label, start, end, count: 0 });
  }
  for (const r of d.rows) {
    for (const b of weeks) if (r.notAfter >= b.start && r.notAfter < b.end) b.count++;
    for (const b of months) if (r.notAfter >= b.start && r.notAfter < b.end) b.count++;
  }
  return { weeks, months };
}
