/**
 * The HTTP transport of the Exchange Online client: fetch with redirects handled here (fetch would drop the
 * Authorization header on a regional redirect, or carry it where it must not go), throttling (429 with
 * Retry-After) and transient 503/504 retried within a bounded budget, and a timeout per request.
 */
import { redactSecrets } from "../lib/redact.js";
import { ExchangeApiError } from "./errors.js";

export interface HttpDeps {
  fetch?: typeof fetch;
  /** Waits (tests pass a fast one); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Diagnostics (retries, redirects); never given a secret. */
  log?: (line: string) => void;
  /** Per-request timeout, ms (default 100 s). */
  timeoutMs?: number;
  /** Retry budget: attempts per request (default 6) and total wait (default 300 s). */
  maxAttempts?: number;
  maxWaitMs?: number;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Where the answer finally came from (after redirects). */
  url: string;
}

export const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const MICROSOFT_FAMILIES = [
  ["office365.com", "outlook.com"],
  ["office365.us"],
  ["partner.outlook.cn", "chinacloudapi.cn"],
  ["outlook.office.de"],
];

/**
 * Whether a redirect from `from` to `to` may carry the bearer token: the same scheme (never https to
 * http), and the same host, or both in one Microsoft host family (outlook.office365.com to a regional
 * *.outlook.com host). A stand-in on 127.0.0.1 has no family: the host must be the same.
 */
export function sameHostFamily(from: URL, to: URL): boolean {
  if (from.protocol !== to.protocol) return false;
  const a = from.hostname.toLowerCase();
  const b = to.hostname.toLowerCase();
  if (a === b) return true;
  const inFamily = (h: string, f: string[]) => f.some((d) => h === d || h.endsWith(`.${d}`));
  return MICROSOFT_FAMILIES.some((f) => inFamily(a, f) && inFamily(b, f));
}

export interface SendOptions {
  deps: HttpDeps;
  /** Secrets to take out of any error text (the token, the assertion). */
  secrets: () => string[];
  /** Told of every redirect followed (the client then talks to the regional host directly). */
  onRedirect?: (to: URL) => void;
  /** What the request is, for messages ("InvokeCommand Get-SmimeConfig"). */
  what: string;
}

/** Sends one request; follows redirects itself; retries 429/503/504 and network failures within the budget. */
export async function send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
  const f = opts.deps.fetch ?? fetch;
  const sleep = opts.deps.sleep ?? defaultSleep;
  const maxAttempts = opts.deps.maxAttempts ?? 6;
  const maxWait = opts.deps.maxWaitMs ?? 300_000;
  const clean = (s: string) => redactSecrets(s, opts.secrets());
  let url = new URL(req.url);
  let attempts = 0;
  let waited = 0;
  let redirects = 0;
  for (;;) {
    attempts++;
    let res: Response;
    try {
      res = await f(url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        redirect: "manual",
        signal: AbortSignal.timeout(opts.deps.timeoutMs ?? 100_000),
      });
    } catch (e) {
      const why = clean(
        (e as Error).cause
          ? String(((e as Error).cause as Error).message ?? (e as Error).cause)
          : (e as Error).message,
      );
      if (attempts >= maxAttempts)
        throw new ExchangeApiError(
          `${opts.what}: no answer from ${url.host} after ${attempts} attempts (${why})`,
        );
      const wait = Math.min(1000 * 2 ** (attempts - 1), 30_000);
      if (waited + wait > maxWait)
        throw new ExchangeApiError(`${opts.what}: no answer from ${url.host} (${why}); retry budget spent`);
      opts.deps.log?.(`${opts.what}: ${url.host} did not answer (${why}); trying again in ${wait / 1000} s`);
      waited += wait;
      await sleep(wait);
      continue;
    }
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const loc = res.headers.get("location");
      await res.arrayBuffer().catch(() => undefined);
      if (!loc)
        throw new ExchangeApiError(`${opts.what}: HTTP ${res.status} without a Location`, {
          status: res.status,
        });
      if (++redirects > 5)
        throw new ExchangeApiError(`${opts.what}: more than 5 redirects`, { status: res.status });
      const to = new URL(loc, url);
      if (!sameHostFamily(url, to))
        throw new ExchangeApiError(
          `${opts.what}: redirected from ${url.host} to ${clean(to.origin)}, which is not an Exchange Online host; not sending the token there`,
          { status: res.status },
        );
      opts.deps.log?.(`${opts.what}: redirected to ${to.host}`);
      opts.onRedirect?.(to);
      url = to;
      attempts--;
      continue;
    }
    if (res.status === 429 || res.status === 503 || res.status === 504) {
      const text = await res.text().catch(() => "");
      const hinted = retryAfterMs(res.headers.get("retry-after"));
      const wait = hinted ?? Math.min(1000 * 2 ** (attempts - 1), 30_000);
      const what = res.status === 429 ? "throttled (HTTP 429)" : `unavailable (HTTP ${res.status})`;
      if (attempts >= maxAttempts || waited + wait > maxWait)
        throw new ExchangeApiError(
          `${opts.what}: Exchange Online is ${what}; gave up after ${attempts} attempts and ${Math.round(waited / 1000)} s${text ? ` (${clean(errorLine(text) ?? "").slice(0, 200)})` : ""}`,
          { status: res.status },
        );
      opts.deps.log?.(`${opts.what}: ${what}; trying again in ${Math.round(wait / 100) / 10} s`);
      waited += wait;
      await sleep(wait);
      continue;
    }
    return { status: res.status, headers: res.headers, text: await res.text(), url: url.href };
  }
}

/** The one line of an error envelope `{"error":{"code","message","details":[...],"innererror":{...}}}`. */
export function errorLine(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const err = (doc as { error?: unknown })?.error;
  if (!err || typeof err !== "object") return undefined;
  const e = err as { code?: unknown; message?: unknown; details?: unknown; innererror?: unknown };
  const first = (s: unknown) => (typeof s === "string" ? s.split(/\r?\n/)[0].trim() : "");
  const parts: string[] = [];
  if (typeof e.code === "string" && e.code) parts.push(e.code);
  const msg = first(e.message);
  if (msg) parts.push(msg);
  const details = Array.isArray(e.details)
    ? e.details.map((d) => first((d as { message?: unknown })?.message)).filter((m) => m && m !== msg)
    : [];
  const inner = e.innererror as { message?: unknown; type?: unknown } | undefined;
  const innerMsg = first(inner?.message);
  if (innerMsg && innerMsg !== msg && !details.includes(innerMsg)) details.push(innerMsg);
  let line = parts.join(": ");
  if (details.length) line += ` (${details.join("; ")})`;
  // Control characters out: this is one line on a terminal.
  return line.replace(/[\u0000-\u001f\u007f]/g, " ");
}
