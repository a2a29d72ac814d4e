/** The dashboard's pages, rendered on the server: every value from a certificate or a file goes through `html`. */

import { replacementKind } from "../audit/diff.js";
import { countBySeverity } from "../audit/report.js";
import { listSome } from "../lib/list.js";
import type { MonitorStore, RunRecord } from "../monitor/store.js";
import type { Problem, Severity } from "../problems.js";
import type { VerifyJson } from "../smime/verify-json.js";
import type { Certificate } from "../x509/certificate.js";
import { type ChainNode, chainTree, MARK_TEXT } from "./chain.js";
import { diffRuns, staleness } from "./history.js";
import { badge, html, type Raw, raw, type Status, time } from "./html.js";
import {
  type Dashboard,
  filterRows,
  forecast,
  type InventoryQuery,
  PAGE_SIZE,
  queryString,
  rowStatus,
  shortPath,
} from "./model.js";
import { barChart } from "./svg.js";
import type { TryBuild } from "./try.js";

const SEVERITIES: Severity[] = ["error", "warning", "info"];
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

export interface PageContext {
  d: Dashboard;
  store?: MonitorStore;
  /** The database file, for the History page's note. */
  database?: string;
}

export function staleBanner(p: PageContext): Raw | undefined {
  if (!p.store) return undefined;
  const last = p.store.lastRun();
  const s = staleness(last, p.d.schedule, p.d.now);
  if (!s.stale) return undefined;
  return html`<p class="banner" role="status">${badge("warning", "stale")} The monitor has not run for two schedule periods (${p.d.schedule}): ${last ? html`last run ${time(last.finishedAt ?? last.startedAt)}` : "no run recorded"}. What you see may be out of date.</p>`;
}

function tile(href: string, n: number | string, label: string, status?: Status): Raw {
  return html`<li><a class="tile" href="${href}"><span class="n">${n}</span><span class="l">${status ? html`${badge(status)} ` : ""}${label}</span></a></li>`;
}

export function overviewPage(p: PageContext): Raw {
  const { d } = p;
  const cas = d.rows.filter((r) => r.role !== "leaf").length;
  const expired = d.rows.filter((r) => r.daysLeft < 0).length;
  const k = countBySeverity(d.findings);
  const last = p.store?.lastRun();
  const upload = lastUpload(d);
  const windows = [...d.thresholds].sort((a, b) => b.days - a.days);
  return html`<h2 id="list-h">The trust list</h2>
<ul class="tiles" aria-labelledby="list-h">
${tile("/inventory?role=ca", cas, plural(cas, "CA certificate").replace(/^\d+ /, ""))}
${tile("/inventory?status=expired", expired, "expired", expired ? "expired" : "ok")}
${windows.map((t) => {
  const n = d.rows.filter((r) => r.daysLeft >= 0 && r.daysLeft < t.days).length;
  return tile(`/inventory?within=${t.days}`, n, `expiring within ${t.days} days`, n ? t.severity : "ok");
})}
</ul>
<h2 id="find-h">Findings</h2>
<ul class="tiles" aria-labelledby="find-h">
${SEVERITIES.map((s) => {
  const word = s === "info" ? "notes" : `${s}s`;
  return html`<li><a class="tile" href="/findings#${s}"><span class="n">${k[s]}</span><span class="l">${k[s] ? badge(s, word) : badge("ok", `no ${word}`)}</span></a></li>`;
})}
</ul>
<h2 id="mon-h">Monitor and Exchange</h2>
<ul class="tiles" aria-labelledby="mon-h">
<li><a class="tile" href="/history"><span class="n">${last ? String(last.id) : "–"}</span><span class="l">${last ? html`last monitor run: ${runStatus(last)} ${time(last.finishedAt ?? last.startedAt)}` : "no monitor run recorded"}</span></a></li>
<li><a class="tile" href="/history#pending"><span class="n">${upload ? "✓" : "–"}</span><span class="l">${upload ? html`last upload recorded: ${upload}` : "no upload recorded (give a Get-SmimeConfig export)"}</span></a></li>
</ul>
<p class="muted">${plural(d.certificates.length, "certificate")} from ${d.sources.length ? listSome(d.sources, 4) : "no trust list"}; ${d.sstBytes.toLocaleString("en-US")} bytes as .sst (Exchange Online accepts up to 70,000).</p>
${d.warnings.length ? html`<h2>Notes from reading</h2><ul>${d.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ""}`;
}

function lastUpload(d: Dashboard): Raw | undefined {
  for (const x of d.exports) {
    const when = x.properties.WhenChanged ?? x.properties.WhenChangedUTC;
    const t = typeof when === "string" ? Date.parse(when) : Number.NaN;
    if (!Number.isNaN(t)) return html`${time(t)} (${x.file})`;
    if (x.properties.SMIMECertificateIssuingCA) return html`in ${x.file}`;
  }
  return undefined;
}

function runStatus(r: RunRecord): Raw {
  if (r.status === "failed") return badge("error", "failed");
  if (r.status === "findings") return badge("warning", "findings");
  if (r.status === "ok") return badge("ok");
  return badge("info", "running");
}

// ---- Inventory ----

function sortLink(q: InventoryQuery, key: InventoryQuery["sort"], label: string, cls = ""): Raw {
  const active = q.sort === key;
  const dir = active && q.dir === "asc" ? "desc" : "asc";
  const aria = active ? (q.dir === "asc" ? "ascending" : "descending") : "none";
  return html`<th scope="col" aria-sort="${aria}"${cls ? raw(` class="${cls}"`) : ""}><a href="/inventory${queryString(q, { sort: key, dir, page: 1 })}">${label}${active ? (q.dir === "asc" ? " ▲" : " ▼") : ""}</a></th>`;
}

export function inventoryPage(p: PageContext, q: InventoryQuery): Raw {
  const { d } = p;
  const rows = filterRows(d, q);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(q.page, pages);
  const shown = rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const sel = (v: string, cur: string, label: string) =>
    html`<option value="${v}"${v === cur ? raw(" selected") : ""}>${label}</option>`;
  const qs = queryString({ ...q, page: 1 });
  const status = (r: (typeof rows)[number]) => {
    const s = rowStatus(r, d.warnDays);
    return s === "expired" ? badge("expired") : s === "expiring" ? badge("warning", "expiring") : badge("ok");
  };
  return html`<form class="filters" method="get" action="/inventory" role="search" aria-label="Filter the inventory">
<label>Search<input type="search" name="q" value="${q.q}" placeholder="subject, thumbprint, key…"></label>
<label>Role<select name="role">${sel("", q.role, "any")}${sel("ca", q.role, "CA (root or intermediate)")}${sel("root", q.role, "root")}${sel("intermediate", q.role, "intermediate")}${sel("leaf", q.role, "not a CA")}</select></label>
<label>Status<select name="status">${sel("", q.status, "any")}${sel("expired", q.status, "expired")}${sel("expiring", q.status, `expiring (< ${d.warnDays} days)`)}${sel("ok", q.status, "ok")}</select></label>
<label>Expiring within (days)<input type="number" name="within" min="0" max="99999" value="${q.within || ""}" inputmode="numeric"></label>
<input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.dir}">
<button type="submit">Apply filters</button>
<a class="button" href="/inventory">Clear</a>
</form>
<div class="actions"><span id="count" role="status">${plural(rows.length, "certificate")} of ${d.rows.length}</span>
<a class="button" href="/api/inventory.csv${qs}" download="inventory.csv">Export CSV</a>
<a class="button" href="/api/inventory.json${qs}" download="inventory.json">Export JSON</a></div>
<div class="wrap"><table>
<caption class="muted">Certificates in the trust list; not-after in <span class="tz-label">UTC</span>. SHA-1 as Exchange prints it (Get-SmimeConfig's thumbprint).</caption>
<thead><tr>${sortLink(q, "subject", "Subject")}${sortLink(q, "issuer", "Issuer")}${sortLink(q, "role", "Role")}${sortLink(q, "sha1", "SHA-1")}<th scope="col">SHA-256</th>${sortLink(q, "notAfter", "Not after")}<th scope="col" class="num">Days left</th><th scope="col">Status</th>${sortLink(q, "key", "Key")}<th scope="col">EKU</th>${sortLink(q, "scope", "Source")}</tr></thead>
<tbody>
${shown.map(
  (r) =>
    html`<tr><td>${r.subject}</td><td>${r.issuer}</td><td>${r.role}</td><td class="mono nw">${r.sha1}</td><td class="mono hash" title="${r.sha256}">${r.sha256}</td><td class="nw">${time(r.notAfter)}</td><td class="num">${r.daysLeft}</td><td>${status(r)}</td><td>${r.key}</td><td>${r.eku.length ? r.eku.join(", ") : "any"}</td><td>${r.scope}</td></tr>`,
)}
</tbody></table></div>
${rows.length === 0 ? html`<p>No certificate matches these filters.</p>` : ""}
${pages > 1 ? html`<nav class="pager" aria-label="Pages of the inventory">${page > 1 ? html`<a href="/inventory${queryString(q, { page: page - 1 })}">Previous</a>` : ""}<span>Page ${page} of ${pages}</span>${page < pages ? html`<a href="/inventory${queryString(q, { page: page + 1 })}">Next</a>` : ""}</nav>` : ""}`;
}

// ---- Expiry forecast ----

function numbersTable(
  caption: string,
  buckets: { label: string; start: number; end: number; count: number }[],
  first: string,
): Raw {
  return html`<table class="numbers"><caption>${caption}</caption><thead><tr><th scope="col">${first}</th><th scope="col">From</th><th scope="col">Until</th><th scope="col" class="num">Certificates expiring</th></tr></thead><tbody>
${buckets.map((b) => html`<tr><th scope="row">${b.label}</th><td>${time(b.start, true)}</td><td>${time(b.end, true)}</td><td class="num">${b.count}</td></tr>`)}
</tbody></table>`;
}

export function expiryPage(p: PageContext): Raw {
  const f = forecast(p.d);
  const hotWeeks = Math.ceil(p.d.warnDays / 7);
  return html`<p>Certificates of the list that expire in each of the next 13 weeks and 12 months (already expired ones are on the <a href="/inventory?status=expired">inventory</a>). Bars in the warning window (${p.d.warnDays} days) are drawn in the alert colour.</p>
<div>
<section aria-labelledby="weeks-h"><h2 id="weeks-h">Next 13 weeks</h2>
${barChart("weeks", "Certificates expiring per week, starting today", f.weeks, hotWeeks)}
${numbersTable("Certificates expiring per week", f.weeks, "Week")}</section>
<section aria-labelledby="months-h"><h2 id="months-h">Next 12 months</h2>
${barChart("months", "Certificates expiring per calendar month (UTC), this month from today", f.months, 1)}
${numbersTable("Certificates expiring per month", f.months, "Month")}</section>
</div>`;
}

// ---- Chain tree ----

function nodeHtml(n: ChainNode, now: number): Raw {
  const c = n.cert;
  const kind = n.user ? "user certificate" : c.isSelfSigned ? "root" : c.isCA ? "intermediate" : "not a CA";
  const marks = n.marks.map((m) =>
    m === "expired" ? badge("expired") : badge(m === "expired-parent" ? "warning" : "error", MARK_TEXT[m]),
  );
  return html`<li><span><strong>${c.name}</strong> <span class="muted">${kind}, until ${time(c.notAfter, true)}, <span class="mono">${c.sha1}</span></span> ${n.marks.length ? marks : c.notAfter >= now ? badge("ok") : ""}</span>${n.children.length ? html`<ul>${n.children.map((x) => nodeHtml(x, now))}</ul>` : ""}</li>`;
}

export function chainPage(p: PageContext): Raw {
  const t = chainTree(p.d);
  return html`<p>Roots of the list with the intermediates under them and the known user certificates (from the monitor config or <code>--leaf</code>). A certificate whose issuer is not found, or no longer verifies it, is listed at the end.</p>
<h2 id="tree-h">Roots</h2>
${t.roots.length ? html`<ul class="tree" aria-labelledby="tree-h">${t.roots.map((n) => nodeHtml(n, p.d.now))}</ul>` : html`<p>No root in the list.</p>`}
<h2 id="orphans-h">Without an issuer in the list</h2>
${t.orphans.length ? html`<ul class="tree" aria-labelledby="orphans-h">${t.orphans.map((n) => nodeHtml(n, p.d.now))}</ul>` : html`<p>${badge("ok")} every certificate chains to a root of the list.</p>`}`;
}

// ---- Findings ----

function certName(d: Dashboard, sha1?: string): string {
  if (!sha1) return "(the list)";
  const c = d.list.bySha1Thumbprint(sha1) ?? d.leaves.find((l) => l.sha1 === sha1);
  return c ? c.name : sha1;
}

export function findingsTable(d: Dashboard, findings: readonly Problem[]): Raw {
  return html`<div class="wrap"><table><thead><tr><th scope="col">Severity</th><th scope="col">Code</th><th scope="col">Certificate</th><th scope="col">Message</th><th scope="col">Hint</th></tr></thead><tbody>
${findings.map((f) => html`<tr><td>${badge(f.severity)}</td><td class="mono">${f.code}</td><td>${certName(d, f.cert)}${f.cert ? html`<br><span class="mono muted">${f.cert}</span>` : ""}</td><td>${f.message}</td><td>${f.hint ?? ""}</td></tr>`)}
</tbody></table></div>`;
}

export function findingsPage(p: PageContext): Raw {
  const { d } = p;
  return html`<p>The audit of <code>smimetrust check</code> over the list${d.leaves.length ? html` and its ${plural(d.leaves.length, "user certificate")}` : ""}, judged at ${time(d.now)}; each code is in the problem catalogue with its hint.</p>
${SEVERITIES.map((s) => {
  const fs = d.findings.filter((f) => f.severity === s);
  return html`<section aria-labelledby="${s}"><h2 id="${s}">${badge(s)} ${plural(fs.length, s === "info" ? "note" : s)}</h2>${fs.length ? findingsTable(d, fs) : html`<p>None.</p>`}</section>`;
})}`;
}

// ---- History and drift ----

export function historyPage(p: PageContext, from?: number, to?: number): Raw {
  const { d, store } = p;
  const runs = store ? store.runs(200) : [];
  const finished = runs.filter((r) => r.finishedAt !== undefined);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const toRun = (to !== undefined ? byId.get(to) : undefined) ?? finished[0];
  const fromRun =
    (from !== undefined ? byId.get(from) : undefined) ?? finished.find((r) => toRun && r.id < toRun.id);
  const diff = store && fromRun && toRun ? diffRuns(store, fromRun, toRun) : undefined;
  const runOpt = (r: RunRecord, cur?: RunRecord) =>
    html`<option value="${r.id}"${cur && r.id === cur.id ? raw(" selected") : ""}>run ${r.id}, ${new Date(r.startedAt).toISOString().slice(0, 16).replace("T", " ")} UTC</option>`;
  const alerts = store ? store.alertHistory(100) : [];
  const deliveries = store ? store.deliveryHistory(100) : [];
  return html`<p>From the monitor's database${p.database ? html` <code>${shortPath(p.database)}</code>` : ""}: ${plural(finished.length, "finished run")} shown, newest first.</p>
<h2 id="runs-h">Runs</h2>
${
  runs.length
    ? html`<div class="wrap"><table aria-labelledby="runs-h"><thead><tr><th scope="col" class="num">Run</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Status</th><th scope="col" class="num">Findings</th><th scope="col" class="num">Alerts</th><th scope="col">Error</th></tr></thead><tbody>
${runs.slice(0, 50).map((r) => html`<tr><td class="num">${r.id}</td><td>${time(r.startedAt)}</td><td>${r.finishedAt ? time(r.finishedAt) : "–"}</td><td>${runStatus(r)}</td><td class="num">${r.findings ?? ""}</td><td class="num">${r.alerts ?? ""}</td><td>${r.error ?? ""}</td></tr>`)}
</tbody></table></div>`
    : html`<p>No run recorded yet: start <code>smimetrust monitor</code> with the same database.</p>`
}
<h2 id="drift-h">What changed between two runs</h2>
${
  finished.length >= 2
    ? html`<form class="filters" method="get" action="/history" aria-labelledby="drift-h">
<label>From<select name="from">${finished.map((r) => runOpt(r, fromRun))}</select></label>
<label>To<select name="to">${finished.map((r) => runOpt(r, toRun))}</select></label>
<button type="submit">Compare runs</button></form>`
    : ""
}
${
  diff
    ? html`<p>Run ${diff.from.id} → run ${diff.to.id}: ${badge("warning", `${diff.appeared.length} appeared`)} ${badge("ok", `${diff.resolved.length} resolved`)} ${badge("info", `${diff.unchanged.length} unchanged`)}</p>
${
  diff.appeared.length + diff.resolved.length
    ? html`<div class="wrap"><table><thead><tr><th scope="col">Change</th><th scope="col">Severity</th><th scope="col">Code</th><th scope="col">Source</th><th scope="col">Message</th></tr></thead><tbody>
${[...diff.appeared.map((f) => ["appeared", f] as const), ...diff.resolved.map((f) => ["resolved", f] as const)].map(([k, f]) => html`<tr><td>${k === "appeared" ? badge("warning", "appeared") : badge("ok", "resolved")}</td><td>${badge(f.severity)}</td><td class="mono">${f.code}</td><td>${f.scope}</td><td>${f.message}</td></tr>`)}
</tbody></table></div>`
    : html`<p>The two runs found the same things.</p>`
}`
    : html`<p>Two finished runs are needed to compare.</p>`
}
<h2 id="alerts-h">Alerts</h2>
${
  alerts.length
    ? html`<div class="wrap"><table aria-labelledby="alerts-h"><thead><tr><th scope="col" class="num">Run</th><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Severity</th><th scope="col">Code</th><th scope="col">Certificate</th></tr></thead><tbody>
${alerts.map((a) => html`<tr><td class="num">${a.runId}</td><td>${time(a.at)}</td><td>${a.kind}</td><td>${badge(a.severity)}</td><td class="mono">${a.code}</td><td class="mono">${a.cert ?? ""}</td></tr>`)}
</tbody></table></div>`
    : html`<p>No alert recorded.</p>`
}
<h2 id="deliv-h">Deliveries</h2>
${
  deliveries.length
    ? html`<div class="wrap"><table aria-labelledby="deliv-h"><thead><tr><th scope="col">Created</th><th scope="col">Sink</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Sent</th><th scope="col">Last error</th></tr></thead><tbody>
${deliveries.map((x) => html`<tr><td>${time(x.createdAt)}</td><td>${x.sink}</td><td>${x.status === "sent" ? badge("ok", "sent") : badge("warning", x.status)}</td><td class="num">${x.attempts}</td><td>${x.sentAt ? time(x.sentAt) : "–"}</td><td>${x.lastError ?? ""}</td></tr>`)}
</tbody></table></div>`
    : html`<p>No delivery recorded.</p>`
}
<h2 id="pending">Pending list compared with the one in use</h2>
${pendingSection(d)}`;
}

function certCell(c: Certificate, now: number): Raw {
  return html`<td>${c.name}</td><td>${c.role}</td><td>${time(c.notAfter, true)}${c.notAfter < now ? html` ${badge("expired")}` : ""}</td><td class="mono">${c.sha1}</td>`;
}

function pendingSection(d: Dashboard): Raw {
  const pd = d.pending;
  if (!pd)
    return html`<p>No pending list given: start <code>smimetrust serve --pending new.sst</code> to see what an upload would change and which users it breaks.</p>`;
  const { diff, breakage } = pd;
  const broken = breakage.filter((b) => b.broken);
  const rows: Raw[] = [];
  for (const c of diff.added) rows.push(html`<tr><td>${badge("ok", "added")}</td>${certCell(c, d.now)}</tr>`);
  for (const c of diff.removed)
    rows.push(html`<tr><td>${badge("error", "removed")}</td>${certCell(c, d.now)}</tr>`);
  for (const r of diff.replaced)
    rows.push(
      html`<tr><td>${badge("warning", "replaced")}</td>${certCell(r.old, d.now)}</tr><tr><td>by (${replacementKind(r).join(", ")})</td>${certCell(r.new, d.now)}</tr>`,
    );
  return html`<p>In use: ${d.sources.join(", ")}; pending: ${pd.sources.join(", ")}. ${diff.added.length} added, ${diff.removed.length} removed, ${diff.replaced.length} replaced, ${diff.unchanged.length} unchanged.</p>
${rows.length ? html`<div class="wrap"><table><thead><tr><th scope="col">Change</th><th scope="col">Certificate</th><th scope="col">Role</th><th scope="col">Expires</th><th scope="col">SHA-1</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>${badge("ok", "no changes")} both lists hold the same certificates.</p>`}
${breakage.length ? html`<h3>User certificates</h3><p>${broken.length ? badge("error", `${broken.length} broken`) : badge("ok", "none broken")} of ${breakage.length}.</p><ul>${breakage.map((b) => html`<li>${b.broken ? badge("error", "breaks") : b.fixed ? badge("ok", "fixed") : b.after === "valid" ? badge("ok") : badge("warning", "invalid")} ${b.leaf.name} <span class="mono muted">${b.leaf.sha1}</span>${b.broken && b.lostFromPath.length ? html`: its path used ${b.lostFromPath.map((c) => c.name).join(", ")}, not in the pending list` : ""}</li>`)}</ul>` : ""}`;
}

// ---- Try it ----

export function tryPage(p: PageContext, result?: Raw): Raw {
  return html`<p>Nothing you give here is kept: it is read in memory and answered.</p>
<div class="grid2">
<section aria-labelledby="build-h"><h2 id="build-h">Build a trust list</h2>
<form method="post" action="/try/build" enctype="multipart/form-data" data-api="/try/build" data-result="build-result">
<div class="drop" id="build-drop"><p>Drop certificate files here (PEM, DER, .cer, .crt, P7B, .sst, PFX without password), choose them, or paste PEM text. The .sst is the one <code>smimetrust build</code> writes from the same files, with the same refusals.</p>
<label for="build-files">Certificate files</label> <input id="build-files" type="file" name="file" multiple>
<p><label for="build-text">Or paste PEM</label><textarea id="build-text" name="text" spellcheck="false"></textarea></p>
<p><label><input type="checkbox" name="dropExpired" value="1"> Leave expired certificates out (--drop-expired)</label></p>
<button type="submit">Build .sst</button></div></form>
<div id="build-result" class="result" aria-live="polite">${result?.html.includes('data-kind="build"') ? result : ""}</div></section>
<section aria-labelledby="verify-h"><h2 id="verify-h">Verify a signed message</h2>
<form method="post" action="/try/verify" enctype="multipart/form-data" data-api="/try/verify" data-result="verify-result">
<div class="drop" id="verify-drop"><p>Drop a signed message (.eml, .p7m) to get <code>smimetrust verify</code>'s verdict against the served trust list (${plural(p.d.certificates.length, "certificate")}).</p>
<label for="verify-files">Message files</label> <input id="verify-files" type="file" name="file" multiple>
<p><button type="submit">Verify</button></p></div></form>
<div id="verify-result" class="result" aria-live="polite">${result?.html.includes('data-kind="verify"') ? result : ""}</div></section>
</div>`;
}

function base64(b: Uint8Array | string): string {
  return Buffer.from(b).toString("base64");
}

export function buildResult(t: TryBuild): Raw {
  const r = t.result;
  const e = r.earliest!;
  return html`<div data-kind="build"><h3>${badge("ok", "built")} trust.sst: ${plural(r.certificates.length, "certificate")}, ${r.bytes.length.toLocaleString("en-US")} bytes</h3>
<p class="actions"><a class="button" id="download-sst" download="trust.sst" href="data:application/vnd.ms-pkistl;base64,${base64(r.bytes)}">Download trust.sst</a>
<a class="button" id="download-script" download="apply-trust.ps1" href="data:text/plain;charset=utf-8;base64,${base64(t.script)}">Download apply script (apply-trust.ps1)</a></p>
<p>SHA-256 <span class="mono">${r.sha256}</span>. Earliest expiry ${time(e.notAfter)}, '${e.name}' (${e.sha1}): what Get-SmimeConfig will report.</p>
<p>Left out: ${r.leaves.length} not a CA, ${r.droppedExpired.length} expired, ${r.duplicates} duplicate.</p>
${t.warnings.length || t.findings.length ? html`<ul>${t.warnings.map((w) => html`<li>${badge("warning")} ${w}</li>`)}${t.findings.map((f) => html`<li>${badge(f.severity)} ${f.code}: ${f.message} ${f.hint ?? ""}</li>`)}</ul>` : ""}
<table><thead><tr><th scope="col">Certificate</th><th scope="col">Role</th><th scope="col">SHA-1</th></tr></thead><tbody>${r.certificates.map((c) => html`<tr><td>${c.name}</td><td>${c.role}</td><td class="mono">${c.sha1}</td></tr>`)}</tbody></table></div>`;
}

export function refusalResult(kind: "build" | "verify", code: string, message: string): Raw {
  return html`<div data-kind="${kind}" role="alert"><h3>${badge("error", "refused")} ${code}</h3><p>${message}</p></div>`;
}

export function verifyResult(results: readonly VerifyJson[]): Raw {
  return html`<div data-kind="verify">${results.map((r) => {
    const all = [...r.problems, ...r.signers.flatMap((s) => s.problems)];
    const st: Status =
      r.verdict === "valid" ? (all.some((x) => x.severity === "warning") ? "warning" : "valid") : "invalid";
    return html`<section class="verdict"><h3>${badge(st, r.verdict === "valid" ? "valid" : r.verdict)} ${r.file}</h3>
${r.signers.length ? html`<p>Signed by ${r.signers.map((s) => html`${s.subject}${s.emails.length ? ` <${s.emails.join(", ")}>` : ""}`)}</p>` : ""}
${all.length ? html`<ul>${all.map((x) => html`<li>${badge(x.severity)} <span class="mono">${x.code}</span>: ${x.message}${x.hint ? html`<br><strong>Hint:</strong> <span class="hint">${x.hint}</span>` : ""}</li>`)}</ul>` : html`<p>No problem found.</p>`}</section>`;
  })}</div>`;
}
