/**
 * Secrets out of every text that leaves the program (errors, log lines, database rows, alerts), whatever
 * produced the text: our own messages, or Node's fetch, undici or nodemailer, whose errors quote the URL.
 *
 * Two passes, one function:
 * - what looks like a secret in any text: the user information of a URL (`user:pass@`), a URL's query and
 *   fragment, `Authorization:` header values and `password=`/`token=`-style pairs;
 * - the secrets known to the caller (`secretsOf*`: a webhook URL's user name, password, path and query, its
 *   headers' values, an SMTP password), removed wherever they appear, as given or percent-encoded.
 */

export const REDACTED = "***";

const URL_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s'"<>`]+)/gi;
const AUTH_HEADER_RE =
  /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?:(?:basic|bearer|digest|negotiate|ntlm)\s+)?[^\s"',;]+/gi;
const PAIR_RE =
  /\b(pass(?:word|wd)?|pwd|token|access_token|api[_-]?key|secret|client_secret|sig)(["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi;

/** One URL with its user information, query and fragment replaced. */
function redactUrl(scheme: string, rest: string): string {
  // Trailing punctuation belongs to the sentence, not the URL.
  const tail = /[).,;:!?\]]+$/.exec(rest)?.[0] ?? "";
  let body = tail ? rest.slice(0, -tail.length) : rest;
  const slash = body.search(/[/?#]/);
  const authority = slash < 0 ? body : body.slice(0, slash);
  let path = slash < 0 ? "" : body.slice(slash);
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : `${REDACTED}@${authority.slice(at + 1)}`;
  const q = path.search(/[?#]/);
  if (q >= 0) path = `${path.slice(0, q)}${path[q]}${REDACTED}`;
  body = `${host}${path}`;
  return `${scheme}${body}${tail}`;
}

/**
 * `text` with every known secret and everything that looks like one replaced by `***`. Known secrets
 * shorter than 4 characters are ignored (they would blank out ordinary words).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(URL_RE, (_m, scheme: string, rest: string) => redactUrl(scheme, rest))
    .replace(AUTH_HEADER_RE, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(PAIR_RE, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  const known = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    known.add(s);
    try {
      known.add(encodeURIComponent(s));
      known.add(decodeURIComponent(s));
    } catch {
      /* not percent-encoded */
    }
  }
  for (const s of [...known].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length))
    out = out.split(s).join(REDACTED);
  return out;
}

/** The secret parts of a URL: the whole of it, its user name and password, path, query and their values. */
export function secretsOfUrl(url: string): string[] {
  const out = [url];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return out;
  }
  out.push(u.href);
  if (u.username) out.push(u.username, decodeSafe(u.username));
  if (u.password) out.push(u.password, decodeSafe(u.password));
  // as sent: the Basic credential made of them (a server may echo the Authorization header back)
  if (u.username || u.password)
    out.push(
      Buffer.from(`${decodeSafe(u.username)}:${decodeSafe(u.password)}`).toString("base64"),
      `${decodeSafe(u.username)}:${decodeSafe(u.password)}`,
    );
  // Webhook URLs (Slack's /services/T../B../secret, Teams Workflows' sig=) carry their secret in the path or query.
  if (u.pathname.length > 1) out.push(`${u.pathname}${u.search}`, u.pathname);
  if (u.search) out.push(u.search);
  for (const [, v] of u.searchParams) out.push(v);
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
