/**
 * What the monitor sends, pure: one message per change (or one digest per run), rendered for each sink:
 * a generic JSON webhook (with an idempotency key), a Microsoft Teams Workflows webhook (Adaptive Card:
 * the Office 365 connectors were retired at the end of 2025), a Slack incoming webhook, e-mail and the log.
 * Every alert carries the certificate's name, thumbprint, expiry date (UTC, zone shown), days left and the fix.
 */

import { escapeControls, escapeMarkdown, oneLine } from "../lib/text.js";
import type { Severity } from "../problems.js";
import { type Alert, daysAgo, daysLeft } from "./evaluate.js";

export interface OutgoingMessage {
  /** Idempotency key: stable across retries; receivers drop repeats. */
  id: string;
  createdAt: number;
  kind: "alert" | "digest";
  alerts: Alert[];
}

const ICON: Record<Severity, string> = { error: "✗", warning: "!", info: "i" };
const KIND_WORD: Record<Alert["kind"], string> = {
  new: "New",
  escalated: "Escalated",
  threshold: "Threshold crossed",
  resolved: "Resolved",
};

export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function statusLabel(a: Alert): string {
  return a.kind === "resolved" ? "✓ RESOLVED" : `${ICON[a.severity]} ${a.severity.toUpperCase()}`;
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
  return `${statusLabel(a)} ${KIND_WORD[a.kind].toLowerCase()}: ${a.code}${who ? ` '${who}'` : ""} (${a.scope})`;
}

export function messageTitle(m: OutgoingMessage): string {
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
  ];
  const who = certName(a);
  if (who) out.push(["Certificate", who]);
  if (a.subject && a.subject !== who) out.push(["Subject", a.subject]);
  if (a.cert) out.push(["Thumbprint", a.cert]);
  const exp = expiryText(a, now);
  if (exp) out.push(["Expires", exp]);
  if (a.tier && a.tier !== "expired") out.push(["Threshold", `${Number.parseInt(a.tier, 10)} days`]);
  if (a.previousSeverity && a.kind !== "resolved") out.push(["Was", a.previousSeverity]);
  if (a.hint) out.push(["Fix", a.hint]);
  return out;
}

function alertJson(a: Alert, now: number) {
  return {
    kind: a.kind,
    code: a.code,
    severity: a.severity,
    status: a.kind === "resolved" ? "resolved" : a.severity,
    watched: a.scope,
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
    seenAt: new Date(a.at).toISOString(),
    key: a.key,
    id: a.id ?? null,
  };
}

/** Generic webhook body; the same key also goes in the Idempotency-Key header. */
export function webhookPayload(m: OutgoingMessage, now: number) {
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
  for (const a of m.alerts) {
    L.push(oneLine(a.message));
    for (const [k, v] of alertFacts(a, now)) L.push(`  ${`${k}:`.padEnd(13)}${oneLine(v)}`);
    L.push("");
  }
  L.push(`Sent by smimetrust monitor at ${utc(m.createdAt)}. Message ${m.id}.`);
  return `${L.join("\n")}\n`;
}

export function emailPayload(m: OutgoingMessage, now: number): { subject: string; text: string } {
  return { subject: oneLine(messageTitle(m)), text: textBody(m, now) };
}

/**
 * One stderr line per alert, `id=` the alert's id (its message's idempotency key when one message carries
 * one change; with `digest=` the digest's). Nothing in a certificate's name can end the line: control
 * characters are shown escaped, so no name can forge a second log line.
 */
export function logLines(m: OutgoingMessage, now: number): string[] {
  return m.alerts.map((a) => {
    const exp = expiryText(a, now);
    const line = [
      `${new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z")} smimetrust alert`,
      statusLabel(a),
      a.kind,
      a.code,
      `[${a.scope}]`,
      a.message,
      ...(a.cert ? [`thumbprint=${a.cert}`] : []),
      ...(exp ? [`expires=${JSON.stringify(exp)}`] : []),
      ...(a.hint ? [`fix=${JSON.stringify(a.hint)}`] : []),
      `id=${a.id ?? m.id}`,
      ...(m.kind === "digest" ? [`digest=${m.id}`] : []),
    ].join(" ");
    return oneLine(line);
  });
}
