/**
 * The watched certificates' expiry dates as an iCalendar file (RFC 5545), pure: one event at each
 * certificate's expiry (with a reminder, VALARM, at every threshold still ahead) and one all-day event on
 * each threshold date (90, 30, 7 days before by default).
 *
 * UIDs come from the certificate's SHA-1, the kind of event and the threshold, so a calendar that imports or
 * subscribes to the file again updates its events instead of adding copies. An event's dates follow from
 * the certificate itself (the SHA-1 fixes them), so they never move: SEQUENCE stays 0.
 *
 * Certificate names are hostile text: controls and bidirectional formatting characters are shown escaped
 * (`\r`, `\u202e`, as in every text output), then the value is escaped as RFC 5545 TEXT (backslash, `;`, `,`
 * and line feeds) and every line is folded at 75 octets without splitting a UTF-8 sequence.
 */
import { escapeControls } from "../lib/text.js";
import type { CertSnapshot } from "./store.js";

const DAY_MS = 86_400_000;

export interface CalendarCertificate extends CertSnapshot {
  /** The owner of its source in monitor.json (absent: none). */
  owner?: string;
}

export interface CalendarOptions {
  /** Threshold days (90, 30, 7...): a threshold event each and a reminder on the expiry event. */
  thresholds: readonly number[];
  /** When the file is made (DTSTAMP; reminders already past are left out). */
  now: number;
  /** When the certificates were last read (LAST-MODIFIED); default `now`. */
  updatedAt?: number;
  /** The calendar's name (X-WR-CALNAME, NAME). */
  name?: string;
  /** The domain part of every UID (default "smimetrust"). */
  domain?: string;
  /** smimetrust's version, for PRODID. */
  version?: string;
}

/** A value of type TEXT: backslash, semicolon, comma and line breaks escaped (RFC 5545 3.3.11). */
export function escapeText(v: string): string {
  return v
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/** Program text holding values already made visible: escaped as TEXT (its own line feeds become \n). */
const text = escapeText;

/** Hostile text (a certificate name, a list name) made visible: controls and bidi characters escaped. */
const safe = (v: string) => escapeControls(v);

/**
 * One content line folded so that no line is longer than 75 octets (RFC 5545 3.1): continuation lines start
 * with a space, which counts; a line is only ever broken between characters, never inside a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  const out: string[] = [];
  let cur = "";
  let bytes = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > limit) {
      out.push(cur);
      cur = " ";
      bytes = 1;
      limit = 75;
    }
    cur += ch;
    bytes += n;
  }
  out.push(cur);
  return out.join("\r\n");
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** A UTC DATE-TIME: 20270115T120000Z. */
export function utcDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/** A DATE (the UTC day): 20270115. */
export function utcDate(ms: number): string {
  return utcDateTime(ms).slice(0, 8);
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The certificate's common name, else its whole subject. */
function shortName(subject: string): string {
  const m = /(?:^|,\s*)CN=((?:\\,|[^,])+)/.exec(subject);
  return m ? m[1].replace(/\\,/g, ",") : subject || "(no subject)";
}

/** UID of an event: `<sha1>-<kind>@<domain>`, kind "expiry" or "<days>d". */
export function eventUid(sha1: string, kind: "expiry" | number, domain = "smimetrust"): string {
  return `${sha1.toUpperCase()}-${kind === "expiry" ? "expiry" : `${kind}d`}@${domain}`;
}

interface Grouped {
  sha1: string;
  subject: string;
  notAfter: number;
  role?: string;
  lists: string[];
  owners: string[];
}

/** One entry per certificate (a certificate watched in two lists is one event naming both). */
function group(certs: readonly CalendarCertificate[]): Grouped[] {
  const m = new Map<string, Grouped>();
  for (const c of certs) {
    const g = m.get(c.sha1) ?? {
      sha1: c.sha1,
      subject: c.subject,
      notAfter: c.notAfter,
      ...(c.role ? { role: c.role } : {}),
      lists: [],
      owners: [],
    };
    if (!g.lists.includes(c.scope)) g.lists.push(c.scope);
    if (c.owner && !g.owners.includes(c.owner)) g.owners.push(c.owner);
    m.set(c.sha1, g);
  }
  return [...m.values()].sort((a, b) => a.notAfter - b.notAfter || a.sha1.localeCompare(b.sha1));
}

function daysWord(d: number): string {
  return `${d} day${d === 1 ? "" : "s"}`;
}

/** The iCalendar text (CRLF line ends, folded). */
export function renderCalendar(certs: readonly CalendarCertificate[], opts: CalendarOptions): string {
  const domain = opts.domain ?? "smimetrust";
  const stamp = utcDateTime(opts.now);
  const modified = utcDateTime(opts.updatedAt ?? opts.now);
  const thresholds = [...new Set(opts.thresholds)].sort((a, b) => b - a);
  const name = opts.name ?? "smimetrust: certificate expiries";
  const L: string[] = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    `PRODID:-//smimetrust//smimetrust${opts.version ? ` ${text(safe(opts.version))}` : ""}//EN`,
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${text(safe(name))}`,
    `NAME:${text(safe(name))}`,
    "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
    "X-PUBLISHED-TTL:PT12H",
  ];
  for (const g of group(certs)) {
    const who = safe(shortName(g.subject));
    const about = [
      `Certificate: ${safe(g.subject)}`,
      `SHA-1: ${g.sha1}`,
      ...(g.role ? [`Role: ${g.role}`] : []),
      `Expires: ${isoSeconds(g.notAfter)}`,
      `${g.lists.length === 1 ? "Watched in" : "Watched in each of"}: ${g.lists.map(safe).join(", ")}`,
      ...(g.owners.length ? [`Owner: ${g.owners.map(safe).join(", ")}`] : []),
    ];
    const replace =
      g.role === "user"
        ? "Renew it (a new certificate for the same person) before it expires."
        : "Add its successor to the trust list and upload the list again before it expires (Exchange Online refuses a list holding an expired certificate).";
    L.push(
      "BEGIN:VEVENT",
      `UID:${eventUid(g.sha1, "expiry", domain)}`,
      `DTSTAMP:${stamp}`,
      `LAST-MODIFIED:${modified}`,
      "SEQUENCE:0",
      `DTSTART:${utcDateTime(g.notAfter)}`,
      `SUMMARY:${text(`Certificate expires: ${who}`)}`,
      `DESCRIPTION:${text([...about, "", replace].join("\n"))}`,
      "CATEGORIES:smimetrust,certificate expiry",
      "STATUS:CONFIRMED",
      "TRANSP:TRANSPARENT",
    );
    for (const d of thresholds) {
      if (g.notAfter - d * DAY_MS <= opts.now) continue; // a reminder already past would pop up as overdue
      L.push(
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        `TRIGGER;RELATED=START:-P${d}D`,
        `DESCRIPTION:${text(`${daysWord(d)} left: ${who} expires ${isoSeconds(g.notAfter)}`)}`,
        "END:VALARM",
      );
    }
    L.push("END:VEVENT");
    for (const d of thresholds) {
      const at = g.notAfter - d * DAY_MS;
      L.push(
        "BEGIN:VEVENT",
        `UID:${eventUid(g.sha1, d, domain)}`,
        `DTSTAMP:${stamp}`,
        `LAST-MODIFIED:${modified}`,
        "SEQUENCE:0",
        `DTSTART;VALUE=DATE:${utcDate(at)}`,
        `DTEND;VALUE=DATE:${utcDate(at + DAY_MS)}`,
        `SUMMARY:${text(`${daysWord(d)} left: ${who}`)}`,
        `DESCRIPTION:${text([`${daysWord(d)} until the certificate expires.`, ...about, "", replace].join("\n"))}`,
        "CATEGORIES:smimetrust,certificate expiry threshold",
        "STATUS:CONFIRMED",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
      );
    }
  }
  L.push("END:VCALENDAR");
  return `${L.map(foldLine).join("\r\n")}\r\n`;
}
