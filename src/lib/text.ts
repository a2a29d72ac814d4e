/**
 * Hostile text made harmless for a terminal or a log: the one place that decides which characters a
 * certificate name, a file name or a header value may not carry raw into text output.
 *
 * Shown visibly escaped: C0 controls (ESC starts CSI/OSC sequences that clear the screen, set the window
 * title or plant hyperlinks; CR and LF forge lines), DEL, C1 controls (U+0080-U+009F, 8-bit CSI/OSC),
 * the Unicode line and paragraph separators (U+2028, U+2029) and the bidirectional controls (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) that reorder what is shown. JSON output does not use this:
 * it stays exact.
 */

const UNSAFE =
  /\u001b\[[0-9;]*m|[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

export interface KeepOptions {
  /** Keep line feeds (text made of several lines by the program itself). */
  newline?: boolean;
  /** Keep tabs. */
  tab?: boolean;
  /** Keep colour sequences (ESC [ digits m, as the program's own colours are written). */
  sgr?: boolean;
}

/** `\x1b`, `\r`, `\u202e`... for every unsafe character, except those `keep` names. */
export function escapeControls(s: string, keep: KeepOptions = {}): string {
  return s.replace(UNSAFE, (m) => {
    if (m.length > 1) return keep.sgr ? m : escapeChar(m[0]) + m.slice(1);
    if (m === "\n" && keep.newline) return m;
    if (m === "\t" && keep.tab) return m;
    return escapeChar(m);
  });
}

/** A value shown inside one line of text output or a log line: nothing in it can start a new line. */
export function oneLine(s: string): string {
  return escapeControls(s);
}

/**
 * Text for CommonMark and GFM (a paragraph, a list item or a table cell): unsafe characters shown
 * escaped as above (a CR or LF cannot end a row or start a heading), then every character with a meaning
 * in Markdown backslash-escaped, so that `<img onerror=...>` is text, `[x](javascript:...)` is no link,
 * `*`, `_` and `~` emphasise nothing, a backtick opens no code span, `&amp;` is no entity and `|` ends no
 * table cell.
 */
export function escapeMarkdown(s: string): string {
  return escapeControls(s).replace(/[\\`*_[\]<>|~&!#]/g, (c) => `\\${c}`);
}

/**
 * A code span holding `s` exactly as text (unsafe characters shown escaped): its fence is one backtick
 * longer than the longest run of backticks inside, so a backtick in a file name cannot close it.
 */
export function markdownCode(s: string): string {
  const t = escapeControls(s);
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(t) ? " " : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text for HTML (an element's content or a quoted attribute value): unsafe characters shown escaped as above
 * (a bidi control cannot reorder the page, a NUL or ESC shows as `\x00`), then `& < > " '` as entities, so
 * that `<script>` in a certificate's subject is text and a quote cannot leave an attribute.
 */
export function escapeHtml(s: string): string {
  return escapeControls(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}
