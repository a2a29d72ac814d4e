/**
 * HTML made safe by construction: the `html` tagged template escapes every interpolated value (certificate
 * text, file names, problem messages) with escapeHtml unless it is already markup (a Raw made by `html`).
 */
import { escapeHtml } from "../lib/text.js";
import type { Severity } from "../problems.js";

export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

type Value = Raw | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v instanceof Raw) return v.html;
  if (Array.isArray(v)) return v.map(render).join("");
  if (v === null || v === undefined || v === false || v === true) return "";
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Raw {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Raw(out);
}

export function raw(s: string): Raw {
  return new Raw(s);
}

export type Status = Severity | "ok" | "expired" | "invalid" | "valid";

const STATUS: Record<Status, [string, string, string]> = {
  error: ["✗", "error", "bad"],
  expired: ["✗", "expired", "bad"],
  invalid: ["✗", "invalid", "bad"],
  warning: ["!", "warning", "warn"],
  info: ["i", "info", "info"],
  ok: ["✓", "ok", "good"],
  valid: ["✓", "valid", "good"],
};

/** A status as icon + word + colour (never colour alone); `word` replaces the default word. */
export function badge(s: Status, word?: string): Raw {
  const [icon, w, cls] = STATUS[s];
  return html`<span class="badge ${cls}"><span aria-hidden="true">${icon}</span> ${word ?? w}</span>`;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A time shown in UTC (labelled), which the page's local-time switch can rewrite. */
export function time(ms: number, dateOnly = false): Raw {
  const iso = isoUtc(ms);
  const text = dateOnly ? iso.slice(0, 10) : iso.replace("T", " ").replace("Z", " UTC");
  return html`<time datetime="${iso}"${dateOnly ? raw(' data-date=""') : ""}>${text}</time>`;
}

export interface Nav {
  path: string;
  label: string;
}

export const NAV: Nav[] = [
  { path: "/", label: "Overview" },
  { path: "/inventory", label: "Inventory" },
  { path: "/expiry", label: "Expiry" },
  { path: "/chain", label: "Chain" },
  { path: "/findings", label: "Findings" },
  { path: "/history", label: "History" },
  { path: "/try", label: "Try it" },
];

/** The page around a body: header with navigation, theme and time switches, the stale banner if any. */
export function layout(o: {
  title: string;
  path: string;
  body: Raw;
  banner?: Raw;
  version: string;
  generatedAt: number;
}): string {
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title} · smimetrust</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/theme.js"></script>
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">smimetrust</span>
<nav aria-label="Pages"><ul>${NAV.map(
      (n) =>
        html`<li><a href="${n.path}"${n.path === o.path ? raw(' aria-current="page"') : ""}>${n.label}</a></li>`,
    )}</ul></nav>
<div class="switches">
<button type="button" id="theme-toggle" class="switch" aria-live="polite">Theme: auto</button>
<button type="button" id="time-toggle" class="switch" aria-live="polite">Times: UTC</button>
</div>
</header>
${o.banner ?? ""}
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${o.body}
</main>
<footer>smimetrust ${o.version} · data read ${time(o.generatedAt)} · times in <span class="tz-label">UTC</span></footer>
</body>
</html>`.html
  }\n`;
}
