/**
 * The HTTP Fetcher for --online: node:http / node:https only, with the two timeouts Exchange has
 * (OWACRLConnectionTimeout 60 s to connect, OWACRLRetrievalTimeout 10 s to get the answer), a size
 * limit, at most 3 redirects, and a cache (memory, optionally a folder on disk) keyed by URL that
 * keeps an answer until the CRL's nextUpdate, the OCSP answer's nextUpdate or the HTTP max-age (an answer
 * already stale, STALE_TTL_MS). A request that failed is not sent again for FAILURE_TTL_MS.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { LookupFunction } from "node:net";
import path from "node:path";
import * as tls from "node:tls";
import { type ErrorCode, SmimetrustError } from "../errors.js";
import type { Fetcher, FetchOptions, FetchResult } from "../lib/fetcher.js";
import { redactSecrets } from "../lib/redact.js";
import { revocationFreshUntil } from "../revocation/freshness.js";

export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const MAX_REDIRECTS = 3;
/** How long an answer without any freshness information is kept. */
export const DEFAULT_TTL_MS = 60 * 60_000;
/**
 * A request that failed (no answer in time, a refused connection, an HTTP error status) is not sent again for
 * this long, as Windows' CryptNet marks a URL offline: verifying an archive whose CRL server is down would
 * otherwise wait the whole timeout for every message.
 */
export const FAILURE_TTL_MS = 5 * 60_000;
/** A CRL or OCSP answer already past its nextUpdate is kept this long, not fetched again for every message. */
export const STALE_TTL_MS = 5 * 60_000;

/** Errors of a request stopped by the caller's time budget (FetchOptions.deadline), not by its own limits. */
const budgetErrors = new WeakSet<FetchError>();
function ofBudget(e: FetchError): FetchError {
  budgetErrors.add(e);
  return e;
}

/** Network failures, with a stable code (timeouts, size limit, redirects, refused schemes). */
export class FetchError extends SmimetrustError {
  constructor(
    message: string,
    override readonly code: Extract<ErrorCode, `ERR_FETCH_${string}`>,
    readonly url: string,
  ) {
    // Node's texts may quote a URL or a proxy with its credentials: none reach a message.
    super(redactSecrets(message));
  }
}

export interface CacheEntry {
  status: number;
  body: Uint8Array;
  contentType?: string;
  /** ms since the epoch after which the entry is stale. */
  expires: number;
}

export interface FetchCache {
  get(key: string, now: number): CacheEntry | undefined;
  set(key: string, entry: CacheEntry): void;
}

/** In-memory LRU-ish cache, optionally backed by a folder (one file per key, written atomically). */
export function createFetchCache(opts: { dir?: string; maxEntries?: number } = {}): FetchCache {
  const mem = new Map<string, CacheEntry>();
  const max = opts.maxEntries ?? 1000;
  const fileOf = (key: string) => path.join(opts.dir!, createHash("sha256").update(key).digest("hex"));
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  return {
    get(key, now) {
      let e = mem.get(key);
      if (!e && opts.dir) {
        try {
          const meta = JSON.parse(readFileSync(`${fileOf(key)}.json`, "utf8")) as Omit<CacheEntry, "body"> & {
            key: string;
          };
          if (meta.key === key) {
            e = {
              status: meta.status,
              expires: meta.expires,
              body: new Uint8Array(readFileSync(`${fileOf(key)}.bin`)),
            };
            if (meta.contentType !== undefined) e.contentType = meta.contentType;
            mem.set(key, e);
          }
        } catch {
          e = undefined;
        }
      }
      if (!e || e.expires <= now) return undefined;
      return e;
    },
    set(key, entry) {
      if (mem.size >= max) mem.delete(mem.keys().next().value as string);
      mem.set(key, entry);
      if (opts.dir) {
        try {
          const f = fileOf(key);
          const tmp = `${f}.${randomBytes(6).toString("hex")}.tmp`;
          writeFileSync(tmp, entry.body);
          renameSync(tmp, `${f}.bin`);
          const meta = { key, status: entry.status, expires: entry.expires, contentType: entry.contentType };
          writeFileSync(tmp, JSON.stringify(meta));
          renameSync(tmp, `${f}.json`);
        } catch {
          /* a cache that cannot write is only slower */
        }
      }
    },
  };
}

export interface HttpFetcherOptions {
  /** Time to establish the TCP (and TLS) connection; default 60000 ms like OWACRLConnectionTimeout. */
  connectTimeoutMs?: number;
  /** Time from connection to the whole answer; default 10000 ms like OWACRLRetrievalTimeout. */
  timeoutMs?: number;
  /** Largest body accepted; default 20 MiB. */
  maxBytes?: number;
  /** Answer cache; default a per-fetcher in-memory cache, `false` for none. */
  cache?: FetchCache | false;
  /** Allow https: URLs (default true; Exchange itself fetches CRLs over http). */
  allowHttps?: boolean;
  /**
   * An HTTP proxy ("http://proxy.example:8080"), as corporate networks require; the CLI passes HTTP_PROXY.
   * http: URLs are asked of it by absolute URL; https: URLs go through a CONNECT tunnel, with TLS to the
   * origin inside it. Credentials in the proxy URL are sent as Proxy-Authorization, never shown.
   */
  proxy?: string;
  /** More trust anchors for https: (PEM), beside the system's: a TLS-inspecting proxy's CA, a test CA. */
  ca?: readonly string[];
  /** DNS lookup (node's net.LookupFunction); default the system resolver. Name resolution counts toward the connect timeout. */
  lookup?: LookupFunction;
  /** Clock for cache freshness (default Date.now). */
  now?: () => number;
  /**
   * Freshness of an answer from its content (a CRL's or OCSP answer's nextUpdate), ms since the epoch.
   * Default: revocation/'s revocationFreshUntil (CRLs in DER or PEM, OCSP responses): the transport
   * itself never parses what it carries.
   */
  freshUntil?: (body: Uint8Array, contentType: string | undefined) => number | undefined;
  userAgent?: string;
}

export interface HttpFetcher extends Fetcher {
  /** Requests that went to the network / were answered from the cache. */
  readonly stats: { network: number; cacheHits: number };
  /** The limits in effect (defaults filled in). */
  readonly settings: { connectTimeoutMs: number; timeoutMs: number; maxBytes: number; proxy?: string };
}

export function createHttpFetcher(opts: HttpFetcherOptions = {}): HttpFetcher {
  const connectTimeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const now = opts.now ?? Date.now;
  const stats = { network: 0, cacheHits: 0 };
  const cache = opts.cache === false ? undefined : (opts.cache ?? createFetchCache());
  const inflight = new Map<string, Promise<FetchResult>>();
  /** Requests that failed, until when they are not sent again (FAILURE_TTL_MS), and how they failed. */
  const failures = new Map<string, { until: number; error?: FetchError; result?: FetchResult }>();
  const ca = opts.ca?.length ? [...tls.rootCertificates, ...opts.ca] : undefined;
  const proxyAuth = (px: URL): Record<string, string> =>
    px.username || px.password
      ? {
          "proxy-authorization": `Basic ${Buffer.from(`${decodeURIComponent(px.username)}:${decodeURIComponent(px.password)}`).toString("base64")}`,
        }
      : {};

  function once(
    method: "GET" | "POST",
    url: string,
    body: Uint8Array | undefined,
    contentType: string | undefined,
    redirects: number,
    deadline?: number,
  ): Promise<FetchResult & { headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const left = deadline === undefined ? Infinity : deadline - Date.now();
      if (left <= 0) {
        reject(
          ofBudget(new FetchError("the time allowed for retrieval is used up", "ERR_FETCH_TIMEOUT", url)),
        );
        return;
      }
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        reject(new FetchError(`bad URL ${url}`, "ERR_FETCH_SCHEME", url));
        return;
      }
      const isHttps = u.protocol === "https:";
      if (u.protocol !== "http:" && !(isHttps && opts.allowHttps !== false)) {
        reject(new FetchError(`unsupported URL scheme ${u.protocol}`, "ERR_FETCH_SCHEME", url));
        return;
      }
      stats.network++;
      const mod = isHttps ? https : http;
      const headers: Record<string, string | number> = {
        "user-agent": opts.userAgent ?? "smimetrust",
        accept: "*/*",
        connection: "close",
      };
      if (body) {
        headers["content-type"] = contentType ?? "application/octet-stream";
        headers["content-length"] = body.length;
      }
      let done = false;
      let connectTimer: NodeJS.Timeout | undefined;
      let retrievalTimer: NodeJS.Timeout | undefined;
      let deadlineTimer: NodeJS.Timeout | undefined;
      const finish = (
        err: Error | undefined,
        value?: FetchResult & { headers: http.IncomingHttpHeaders },
      ) => {
        if (done) return;
        done = true;
        clearTimeout(connectTimer);
        clearTimeout(retrievalTimer);
        clearTimeout(deadlineTimer);
        if (err) {
          req.destroy();
          inner?.destroy();
          reject(err);
        } else resolve(value!);
      };
      const onResponse = (res: http.IncomingMessage): void => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if ([301, 302, 303, 307, 308].includes(status) && location) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) {
            finish(new FetchError(`more than ${MAX_REDIRECTS} redirects`, "ERR_FETCH_REDIRECTS", url));
            return;
          }
          const next = new URL(location, u).toString();
          const m = status === 303 ? "GET" : method;
          done = true;
          clearTimeout(connectTimer);
          clearTimeout(retrievalTimer);
          clearTimeout(deadlineTimer);
          once(m, next, m === "GET" ? undefined : body, contentType, redirects + 1, deadline).then(
            resolve,
            reject,
          );
          return;
        }
        const declared = Number(res.headers["content-length"] ?? -1);
        if (declared > maxBytes) {
          finish(
            new FetchError(
              `answer of ${declared} bytes exceeds the ${maxBytes}-byte limit`,
              "ERR_FETCH_TOO_LARGE",
              url,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            finish(new FetchError(`answer exceeds the ${maxBytes}-byte limit`, "ERR_FETCH_TOO_LARGE", url));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => {
          const result: FetchResult & { headers: http.IncomingHttpHeaders } = {
            status,
            body: new Uint8Array(Buffer.concat(chunks)),
            headers: res.headers,
          };
          const ct = res.headers["content-type"];
          if (ct) result.contentType = ct;
          finish(undefined, result);
        });
        res.on("error", (e) => finish(new FetchError(e.message, "ERR_FETCH_NETWORK", url)));
      };
      let req: http.ClientRequest;
      /** The request inside a CONNECT tunnel (https: through a proxy). */
      let inner: http.ClientRequest | undefined;
      const send = (r: http.ClientRequest) => {
        if (body) r.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
        else r.end();
      };
      const tunnel = Boolean(opts.proxy) && isHttps;
      if (tunnel) {
        // https: through a proxy: CONNECT host:port, then TLS with the origin over that socket; the proxy sees
        // neither the path nor the answer.
        const px = new URL(opts.proxy!);
        const target = `${u.hostname}:${u.port || 443}`;
        req = http.request({
          hostname: px.hostname,
          port: px.port || 80,
          method: "CONNECT",
          path: target,
          headers: { host: target, ...proxyAuth(px) },
          agent: false,
          ...(opts.lookup ? { lookup: opts.lookup } : {}),
        });
        req.on("connect", (res: http.IncomingMessage, socket: import("node:net").Socket) => {
          if (res.statusCode !== 200) {
            socket.destroy();
            finish(
              new FetchError(
                `the proxy refused the tunnel (HTTP ${res.statusCode})`,
                "ERR_FETCH_NETWORK",
                url,
              ),
            );
            return;
          }
          inner = https.request(
            u,
            {
              method,
              headers,
              // No agent: an agent would open its own connection and ignore createConnection.
              createConnection: () => tls.connect({ socket, servername: u.hostname, ...(ca ? { ca } : {}) }),
            },
            onResponse,
          );
          inner.on("error", (e) =>
            finish(e instanceof FetchError ? e : new FetchError(e.message, "ERR_FETCH_NETWORK", url)),
          );
          send(inner);
        });
      } else if (opts.proxy && !isHttps) {
        // Through a proxy: connect to it and ask for the absolute URL.
        const px = new URL(opts.proxy);
        headers.host = u.host;
        // A proxy given as http://user:password@proxy:8080 is sent its credentials (Basic), never shown.
        Object.assign(headers, proxyAuth(px));
        req = http.request(
          {
            hostname: px.hostname,
            port: px.port || 80,
            path: u.toString(),
            method,
            headers,
            agent: false,
            ...(opts.lookup ? { lookup: opts.lookup } : {}),
          },
          onResponse,
        );
      } else
        req = mod.request(
          u,
          {
            method,
            headers,
            agent: false,
            ...(opts.lookup ? { lookup: opts.lookup } : {}),
            ...(isHttps && ca ? { ca } : {}),
          },
          onResponse,
        );
      const startRetrieval = () => {
        clearTimeout(connectTimer);
        retrievalTimer = setTimeout(
          () => finish(new FetchError(`no complete answer within ${timeout} ms`, "ERR_FETCH_TIMEOUT", url)),
          timeout,
        );
      };
      if (left !== Infinity)
        deadlineTimer = setTimeout(
          () =>
            finish(
              ofBudget(new FetchError("the time allowed for retrieval ran out", "ERR_FETCH_TIMEOUT", url)),
            ),
          left,
        );
      connectTimer = setTimeout(
        () =>
          finish(
            new FetchError(`could not connect within ${connectTimeout} ms`, "ERR_FETCH_CONNECT_TIMEOUT", url),
          ),
        connectTimeout,
      );
      req.on("socket", (s) => {
        if ((s as { connecting?: boolean }).connecting)
          s.once(isHttps && !tunnel ? "secureConnect" : "connect", startRetrieval);
        else startRetrieval();
      });
      req.on("error", (e) =>
        finish(e instanceof FetchError ? e : new FetchError(e.message, "ERR_FETCH_NETWORK", url)),
      );
      if (tunnel) req.end();
      else send(req);
    });
  }

  function expiryOf(r: FetchResult & { headers: http.IncomingHttpHeaders }, t: number): number | undefined {
    const cc = String(r.headers["cache-control"] ?? "").toLowerCase();
    if (/no-store|no-cache/.test(cc)) return undefined;
    let exp: number | undefined;
    const m = /max-age\s*=\s*(\d+)/.exec(cc);
    if (m) exp = t + Number(m[1]) * 1000;
    else if (r.headers.expires) {
      const e = Date.parse(String(r.headers.expires));
      if (!Number.isNaN(e)) exp = e;
    }
    let content: number | undefined;
    try {
      content = (opts.freshUntil ?? revocationFreshUntil)(r.body, r.contentType);
    } catch {
      content = undefined;
    }
    if (content !== undefined) exp = exp === undefined ? content : Math.min(exp, content);
    return exp ?? t + DEFAULT_TTL_MS;
  }

  async function cached(
    key: string,
    method: "GET" | "POST",
    url: string,
    body?: Uint8Array,
    contentType?: string,
    fo?: FetchOptions,
  ): Promise<FetchResult> {
    const t = now();
    const hit = cache?.get(key, t);
    if (hit) {
      stats.cacheHits++;
      const r: FetchResult = { status: hit.status, body: hit.body };
      if (hit.contentType !== undefined) r.contentType = hit.contentType;
      return r;
    }
    const failed = failures.get(key);
    if (failed && failed.until > t) {
      stats.cacheHits++;
      if (failed.result) return failed.result;
      const ago = Math.max(1, Math.round((t - (failed.until - FAILURE_TTL_MS)) / 1000));
      throw new FetchError(
        `${failed.error!.message} (${ago} s ago; not asked again for ${FAILURE_TTL_MS / 60_000} minutes)`,
        failed.error!.code,
        url,
      );
    }
    failures.delete(key);
    const running = inflight.get(key);
    if (running) return running;
    // Stopped by the validation's time budget with less than half the retrieval timeout to answer in (earlier
    // requests used the rest): not a failure of this URL. With half or more, no answer is one (the budget and
    // the timeout are both 10 s by default, and the budget's clock started first).
    const fair = fo?.deadline === undefined || fo.deadline - Date.now() >= timeout / 2;
    const p = once(method, url, body, contentType, 0, fo?.deadline)
      .then((r) => {
        const out: FetchResult = { status: r.status, body: r.body };
        if (r.contentType !== undefined) out.contentType = r.contentType;
        if (r.status !== 200) {
          failures.set(key, { until: now() + FAILURE_TTL_MS, result: out });
          return out;
        }
        if (cache) {
          let expires = expiryOf(r, now());
          // Already stale (a CA that stopped publishing): kept a while all the same; its dates still decide.
          if (expires !== undefined && expires <= now()) expires = now() + STALE_TTL_MS;
          if (expires !== undefined) {
            const e: CacheEntry = { status: r.status, body: r.body, expires };
            if (r.contentType !== undefined) e.contentType = r.contentType;
            cache.set(key, e);
          }
        }
        return out;
      })
      .catch((e: unknown) => {
        if (e instanceof FetchError && (fair || !budgetErrors.has(e)))
          failures.set(key, { until: now() + FAILURE_TTL_MS, error: e });
        throw e;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  return {
    stats,
    settings: {
      connectTimeoutMs: connectTimeout,
      timeoutMs: timeout,
      maxBytes,
      ...(opts.proxy ? { proxy: opts.proxy } : {}),
    },
    get(url, fo) {
      return cached(`GET ${url}`, "GET", url, undefined, undefined, fo);
    },
    post(url, body, contentType, fo) {
      const h = createHash("sha256").update(body).digest("hex");
      return cached(`POST ${url} ${h}`, "POST", url, body, contentType, fo);
    },
  };
}
