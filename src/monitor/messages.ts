/**
 * What the monitor sends, pure: one message per change (or one digest per run), rendered for each sink:
 * a generic JSON webhook (with an idempotency key), a Microsoft Teams Workflows webhook (Adaptive Card:
 * the Office 365 connectors were retired at the end of 2025), a Slack incoming webhook, e-mail and the log.
 * Every alert carries the certificate's name, thumbprint, expiry date (UTC, zone shown), days left and the fix.
 */

import { isoUtc } from "../audit/check.js";
import { escapeControls, escapeHtml, escapeMarkdown, oneLine } from "../lib/text.js";
import type { Severity } from "../problems.js";
import { type Alert, daysAgo, daysLeft } from "./evaluate.js";

/** One open finding in a scheduled digest. */
export interface SummaryItem {
  key: string;
  scope: string;
  code: string;
  severity: Severity;
  message: string;
  owner?: string;
  cert?: string;
  subject?: string;
  notAfter?: number;
  /** Expiry findings: their tier ("30d", "expired"). */
  tier?: string;
  since: number;
  /** Why it sends nothing now ("snoozed until … by …: …", "accepted …", "superseded by …"). */
  quiet?: string;
}

export interface OutgoingMessage {
  /** Idempotency key: stable across retries; receivers drop repeats. */
  id: string;
  createdAt: number;
  /** alert: one change; digest: the changes of one run; summary: a digest sink's scheduled summary. */
  kind: "alert" | "digest" | "summary";
  alerts: Alert[];
  /** kind summary: every open finding the sink's route takes. */
  summary?: SummaryItem[];
}

const ICON: Record<Severity, string> = { error: "✗", warning: "!", info: "i" };
const KIND_WORD: Record<Alert["kind"], string> = {
  new: "New",
  escalated: "Escalated",
  threshold: "Threshold crossed",
  resolved: "Resolved",
  repeat: "Reminder",
  superseded: "Superseded",
  unmuted: "No longer silenced",
};

/** How messages name an alert's owner (every alert names one, "no owner" included). */
export function ownerText(owner: string | undefined): string {
  return owner ?? "(no owner)";
}

export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function statusLabel(a: Alert): string {
  if (a.kind === "resolved") return "✓ RESOLVED";
  if (a.kind === "superseded") return "✓ SUPERSEDED";
  return `${ICON[a.severity]} ${a.severity.toUpperCase()}`;
}

function certName(a: Alert): string | undefined {
  if (!a.subject) return undefined;
  const m = /(?:^|,\s*)CN=((?:\\,|[^,])+)/.exec(a.subject);
  return m ? m[1].replace(/\\,/g, ",") : a.subject;
}

export function expiryText(a: Alert, now: number): string | undefined {
  if (a.notAfter === undefined) return undefined;
  // One computation: the text says what the JSON's daysLeft says.
  const d = daysLeft(a.notAfter, now);
  const ago = daysAgo(a.notAfter, now);
  return `${utc(a.notAfter)} (${a.notAfter < now ? `expired ${ago} day${ago === 1 ? "" : "s"} ago` : `${d} day${d === 1 ? "" : "s"} left`})`;
}

export function alertTitle(a: Alert): string {
  const who = certName(a);
  return `${statusLabel(a)} ${KIND_WORD[a.kind].toLowerCase()}: ${a.code}${who ? ` '${who}'` : ""} (${a.scope}${a.owner !== undefined ? `; owner ${a.owner}` : ""})`;
}

export function messageTitle(m: OutgoingMessage): string {
  if (m.kind === "summary") return summaryTitle(m.summary ?? []);
  if (m.alerts.length === 1) return `smimetrust: ${alertTitle(m.alerts[0])}`;
  const n = { error: 0, warning: 0, info: 0, resolved: 0 };
  for (const a of m.alerts) {
    if (a.kind === "resolved") n.resolved++;
    else n[a.severity]++;
  }
  const parts = [
    n.error && `${n.error} error`,
    n.warning && `${n.warning} warning`,
    n.info && `${n.info} info`,
    n.resolved && `${n.resolved} resolved`,
  ].filter(Boolean);
  return `smimetrust: ${m.alerts.length} changes (${parts.join(", ")})`;
}

/** Label/value pairs of one alert, in the order people read them. */
export function alertFacts(a: Alert, now: number): [string, string][] {
  const out: [string, string][] = [
    ["Status", `${statusLabel(a)} (${KIND_WORD[a.kind].toLowerCase()})`],
    ["Code", a.code],
    ["Watched", a.scope],
    ["Owner", ownerText(a.owner)],
  ];
  if (a.labels && Object.keys(a.labels).length)
    out.push([
      "Labels",
      Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
    ]);
  const who = certName(a);
  if (who) out.push(["Certificate", who]);
  if (a.subject && a.subject !== who) out.push(["Subject", a.subject]);
  if (a.cert) out.push(["Thumbprint", a.cert]);
  const exp = expiryText(a, now);
  if (exp) out.push(["Expires", exp]);
  if (a.tier && a.tier !== "expired") out.push(["Threshold", `${Number.parseInt(a.tier, 10)} days`]);
  if (a.previousSeverity && a.kind !== "resolved") out.push(["Was", a.previousSeverity]);
  if (a.superseded) out.push(["Successor", `${a.superseded.sha1}, expires ${utc(a.superseded.notAfter)}`]);
  if (a.note) out.push(["Note", a.note]);
  if (a.hint && a.kind !== "superseded") out.push(["Fix", a.hint]);
  return out;
}

function alertJson(a: Alert, now: number) {
  return {
    kind: a.kind,
    code: a.code,
    severity: a.severity,
    status: a.kind === "resolved" ? "resolved" : a.severity,
    watched: a.scope,
    owner: a.owner ?? null,
    labels: a.labels ?? {},
    message: a.message,
    hint: a.hint ?? null,
    certificate: a.cert
      ? {
          name: certName(a) ?? null,
          subject: a.subject ?? null,
          sha1: a.cert,
          notAfter: a.notAfter !== undefined ? new Date(a.notAfter).toISOString() : null,
          daysLeft: a.notAfter !== undefined ? daysLeft(a.notAfter, now) : null,
        }
      : null,
    threshold: a.tier ?? null,
    previousSeverity: a.previousSeverity ?? null,
    ...(a.superseded
      ? { successor: { sha1: a.superseded.sha1, notAfter: new Date(a.superseded.notAfter).toISOString() } }
      : {}),
    ...(a.note ? { note: a.note } : {}),
    seenAt: new Date(a.at).toISOString(),
    key: a.key,
    id: a.id ?? null,
  };
}

/** Generic webhook body; the same key also goes in the Idempotency-Key header. */
export function webhookPayload(m: OutgoingMessage, now: number) {
  if (m.kind === "summary") {
    const items = m.summary ?? [];
    return {
      idempotencyKey: m.id,
      source: "smimetrust",
      type: "summary",
      createdAt: new Date(m.createdAt).toISOString(),
      title: messageTitle(m),
      text: summaryText(items, now),
      groups: summaryGroups(items).map((g) => ({
        owner: g.owner ?? null,
        severities: g.severities.map((s) => ({
          severity: s.severity,
          findings: s.items.map((i) => ({
            code: i.code,
            watched: i.scope,
            message: i.message,
            sha1: i.cert ?? null,
            notAfter: i.notAfter !== undefined ? new Date(i.notAfter).toISOString() : null,
            daysLeft: i.notAfter !== undefined ? daysLeft(i.notAfter, now) : null,
            openSince: new Date(i.since).toISOString(),
            quiet: i.quiet ?? null,
            key: i.key,
          })),
        })),
      })),
    };
  }
  return {
    idempotencyKey: m.id,
    source: "smimetrust",
    type: m.kind,
    createdAt: new Date(m.createdAt).toISOString(),
    title: messageTitle(m),
    alerts: m.alerts.map((a) => alertJson(a, now)),
  };
}

const CARD_COLOR: Record<string, string> = {
  error: "attention",
  warning: "warning",
  info: "accent",
  resolved: "good",
};

/**
 * Microsoft Teams Workflows ("Post to a channel when a webhook request is received"): a message with an
 * Adaptive Card. TextBlocks and facts are Markdown there: every text is escaped (lib/text.ts), so a
 * certificate named `[Renew here](https://evil.example)` shows as text, not as a live link.
 */
export function teamsPayload(m: OutgoingMessage, now: number) {
  const md = escapeMarkdown;
  const body: unknown[] = [
    { type: "TextBlock", text: md(messageTitle(m)), weight: "Bolder", size: "Medium", wrap: true },
  ];
  if (m.kind === "summary")
    body.push({ type: "TextBlock", text: summaryMarkdown(m.summary ?? [], now, md), wrap: true });
  for (const a of m.alerts) {
    body.push({
      type: "Container",
      separator: true,
      style:
        a.kind === "resolved"
          ? "good"
          : a.severity === "error"
            ? "attention"
            : a.severity === "warning"
              ? "warning"
              : "default",
      items: [
        {
          type: "TextBlock",
          text: md(a.message),
          wrap: true,
          color: CARD_COLOR[a.kind === "resolved" ? "resolved" : a.severity],
        },
        {
          type: "FactSet",
          facts: alertFacts(a, now).map(([title, value]) => ({ title: md(title), value: md(value) })),
        },
      ],
    });
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          msteams: { width: "Full" },
          body,
        },
      },
    ],
  };
}

/**
 * Slack mrkdwn: &, < and > escaped as Slack asks (so `<https://evil|Renew>` is no link and `<!channel>`
 * pings nobody), and control characters shown escaped (a line break in a name starts no new line).
 */
function slackEscape(s: string): string {
  return escapeControls(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Slack incoming webhook: `text` (notifications, fallback) and Block Kit blocks. */
export function slackPayload(m: OutgoingMessage, now: number) {
  const blocks: unknown[] = [
    {
      type: "header",
      text: { type: "plain_text", text: escapeControls(messageTitle(m)).slice(0, 150), emoji: false },
    },
  ];
  if (m.kind === "summary")
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: summaryMarkdown(m.summary ?? [], now, slackEscape, "*").slice(0, 3000) },
    });
  for (const a of m.alerts) {
    blocks.push({ type: "divider" });
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `*${slackEscape(statusLabel(a))}* ${slackEscape(a.message)}` },
    });
    blocks.push({
      type: "section",
      fields: alertFacts(a, now)
        .filter(([k]) => k !== "Status")
        .slice(0, 10)
        .map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${slackEscape(v)}` })),
    });
  }
  // The notification text is mrkdwn too: a certificate name such as '<!channel>' must not ping anyone.
  return { text: slackEscape(messageTitle(m)), blocks };
}

/** Plain-text rendering (e-mail body and the log's detail): each value on its line, control characters shown escaped. */
export function textBody(m: OutgoingMessage, now: number): string {
  const L: string[] = [oneLine(messageTitle(m)), ""];
  if (m.kind === "summary") L.push(summaryText(m.summary ?? [], now), "");
  for (const a of m.alerts) {
    L.push(oneLine(a.message));
    for (const [k, v] of alertFacts(a, now)) L.push(`  ${`${k}:`.padEnd(13)}${oneLine(v)}`);
    L.push("");
  }
  L.push(`Sent by smimetrust monitor at ${utc(m.createdAt)}. Message ${m.id}.`);
  return `${L.join("\n")}\n`;
}

export function emailPayload(
  m: OutgoingMessage,
  now: number,
): { subject: string; text: string; html?: string } {
  return {
    subject: oneLine(messageTitle(m)),
    text: textBody(m, now),
    ...(m.kind === "summary" ? { html: summaryHtml(m, now) } : {}),
  };
}

/**
 * One stderr line per alert, `id=` the alert's id (its message's idempotency key when one message carries
 * one change; with `digest=` the digest's). Nothing in a certificate's name can end the line: control
 * characters are shown escaped, so no name can forge a second log line.
 */
export function logLines(m: OutgoingMessage, now: number): string[] {
  if (m.kind === "summary") {
    const stamp = `${isoUtc(now)} smimetrust digest`;
    return [
      oneLine(`${stamp} ${messageTitle(m).replace(/^smimetrust digest: /, "")} id=${m.id}`),
      ...summaryText(m.summary ?? [], now)
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => oneLine(`${stamp} ${l.trim()} digest=${m.id}`)),
    ];
  }
  return m.alerts.map((a) => {
    const exp = expiryText(a, now);
    const line = [
      `${isoUtc(now)} smimetrust alert`,
      statusLabel(a),
      a.kind,
      a.code,
      `[${a.scope}]`,
      `owner=${JSON.stringify(ownerText(a.owner))}`,
      a.message,
      ...(a.cert ? [`thumbprint=${a.cert}`] : []),
      ...(exp ? [`expires=${JSON.stringify(exp)}`] : []),
      ...(a.hint && a.kind !== "superseded" ? [`fix=${JSON.stringify(a.hint)}`] : []),
      ...(a.superseded ? [`successor=${a.superseded.sha1}`] : []),
      ...(a.note ? [`note=${JSON.stringify(a.note)}`] : []),
      `id=${a.id ?? m.id}`,
      ...(m.kind === "digest" ? [`digest=${m.id}`] : []),
    ].join(" ");
    return oneLine(line);
  });
}

// ---- the scheduled digest of a sink: every open finding, by owner and severity ----

const SEVERITIES: Severity[] = ["error", "warning", "info"];

export interface SummaryGroup {
  owner?: string;
  severities: { severity: Severity; items: SummaryItem[] }[];
}

/** Owners in alphabetical order ("no owner" last), severities from error down, soonest expiry first. */
export function summaryGroups(items: readonly SummaryItem[]): SummaryGroup[] {
  const owners = [...new Set(items.map((i) => i.owner))].sort((a, b) =>
    a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  return owners.map((owner) => {
    const mine = items.filter((i) => i.owner === owner);
    return {
      ...(owner !== undefined ? { owner } : {}),
      severities: SEVERITIES.map((severity) => ({
        severity,
        items: mine
          .filter((i) => i.severity === severity)
          .sort(
            (a, b) =>
              (a.notAfter ?? Number.POSITIVE_INFINITY) - (b.notAfter ?? Number.POSITIVE_INFINITY) ||
              (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
          ),
      })).filter((s) => s.items.length > 0),
    };
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function summaryTitle(items: readonly SummaryItem[]): string {
  if (items.length === 0) return "smimetrust digest: no open findings";
  const n = { error: 0, warning: 0, info: 0 };
  for (const i of items) n[i.severity]++;
  const parts = SEVERITIES.filter((s) => n[s]).map((s) => `${n[s]} ${s}`);
  const owners = new Set(items.map((i) => i.owner)).size;
  return `smimetrust digest: ${plural(items.length, "open finding")} (${parts.join(", ")}), ${plural(owners, "owner")}`;
}

function itemName(i: SummaryItem): string | undefined {
  return i.subject ? certName({ subject: i.subject } as Alert) : undefined;
}

/** One line about a finding, as plain text (the caller escapes it for its medium). */
function itemLine(i: SummaryItem, now: number): string {
  // An expiry finding by its certificate and date; any other by its sentence (which names the certificate).
  const expiry = i.tier !== undefined && i.notAfter !== undefined;
  const who = expiry ? itemName(i) : undefined;
  return [
    `${i.code}${who ? ` '${who}'` : ""} [${i.scope}]`,
    ...(expiry
      ? [
          ...(i.cert ? [`thumbprint ${i.cert}`] : []),
          `expires ${expiryText({ notAfter: i.notAfter } as Alert, now)}`,
        ]
      : [i.message.replace(/\.$/, "")]),
    `open since ${utc(i.since).slice(0, 10)}`,
    ...(i.quiet ? [i.quiet] : []),
  ].join("; ");
}

/** Plain text (log, webhook, e-mail's text part): control characters shown escaped. */
export function summaryText(items: readonly SummaryItem[], now: number): string {
  if (items.length === 0) return "No open findings.";
  const L: string[] = [];
  for (const g of summaryGroups(items)) {
    const count = g.severities.reduce((n, s) => n + s.items.length, 0);
    L.push(`Owner ${oneLine(ownerText(g.owner))} (${count}):`);
    for (const s of g.severities) {
      L.push(`  ${ICON[s.severity]} ${s.severity.toUpperCase()} (${s.items.length}):`);
      for (const i of s.items) L.push(`    - ${oneLine(itemLine(i, now))}`);
    }
  }
  return L.join("\n");
}

/**
 * Markdown (Teams TextBlock, `md` = escapeMarkdown; Slack mrkdwn with `bold` "*" and its own escaping):
 * every text from a certificate or the configuration goes through `esc`.
 */
export function summaryMarkdown(
  items: readonly SummaryItem[],
  now: number,
  esc: (s: string) => string,
  bold = "**",
): string {
  if (items.length === 0) return esc("No open findings.");
  const L: string[] = [];
  for (const g of summaryGroups(items)) {
    const count = g.severities.reduce((n, s) => n + s.items.length, 0);
    L.push(`${bold}Owner ${esc(ownerText(g.owner))}${bold} (${count})`);
    for (const s of g.severities) {
      L.push(`${bold}${esc(`${ICON[s.severity]} ${s.severity.toUpperCase()}`)}${bold} (${s.items.length})`);
      for (const i of s.items) L.push(`- ${esc(itemLine(i, now))}`);
    }
    L.push("");
  }
  return L.join("\n").trim();
}

/** HTML (e-mail): every text HTML-escaped. */
export function summaryHtml(m: OutgoingMessage, now: number): string {
  const h = escapeHtml;
  const items = m.summary ?? [];
  const L: string[] = [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>',
    `<h1>${h(messageTitle(m))}</h1>`,
  ];
  if (items.length === 0) L.push("<p>No open findings.</p>");
  for (const g of summaryGroups(items)) {
    const count = g.severities.reduce((n, s) => n + s.items.length, 0);
    L.push(`<h2>Owner ${h(ownerText(g.owner))} (${count})</h2>`);
    for (const s of g.severities) {
      L.push(`<h3>${h(`${ICON[s.severity]} ${s.severity.toUpperCase()}`)} (${s.items.length})</h3>`, "<ul>");
      for (const i of s.items) L.push(`<li>${h(itemLine(i, now))}</li>`);
      L.push("</ul>");
    }
  }
  L.push(
    `<p>Sent by smimetrust monitor at ${h(utc(m.createdAt))}. Message ${h(m.id)}.</p>`,
    "</body></html>",
  );
  return `${L.join("\n")}\n`;
}
