import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetcherFromEnv } from "../../src/cli/commands/chain.js";
import {
  createFetchCache,
  createHttpFetcher,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  FAILURE_TTL_MS,
  FetchError,
  STALE_TTL_MS,
} from "../../src/io/http-fetcher.js";
import { type Fetcher, withDeadline } from "../../src/lib/fetcher.js";
import { crl, root } from "../helpers/pki.js";
import { startServer, type TestServer } from "./server.js";

const HOUR = 3_600_000;
let srv: TestServer;
const ca = root("CN=Fetch Test CA");
const T0 = Date.UTC(2026, 0, 10);
const crlDer = crl({ issuer: ca, thisUpdate: T0 - HOUR, nextUpdate: T0 + HOUR });

beforeAll(async () => {
  srv = await startServer({
    "/hello": { body: "hello" },
    "/crl": { body: crlDer, headers: { "content-type": "application/pkix-crl" } },
    "/maxage": { body: "x", headers: { "cache-control": "max-age=60" } },
    "/nostore": { body: "x", headers: { "cache-control": "no-store" } },
    "/big": { body: new Uint8Array(10_000) },
    "/bigchunked": (_req, _b) => ({
      body: new Uint8Array(10_000),
      headers: { "transfer-encoding": "chunked" },
    }),
    "/r1": { status: 302, headers: { location: "/r2" } },
    "/r2": { status: 301, headers: { location: "/hello" } },
    "/loop": { status: 302, headers: { location: "/loop" } },
    "/toftp": { status: 302, headers: { location: "ftp://127.0.0.1/x" } },
    "/echo": (req, body) => ({ body, headers: { "content-type": String(req.headers["content-type"]) } }),
    "/hang": "hang",
  });
});
afterAll(async () => {
  await srv.close();
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return e instanceof FetchError ? e.code : `other: ${(e as Error).message}`;
  }
}

describe("createHttpFetcher", () => {
  it("defaults to Exchange's CRL timeouts", () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBe(60_000);
    expect(DEFAULT_TIMEOUT_MS).toBe(10_000);
    // ... and a fetcher made without options uses them.
    expect(createHttpFetcher().settings).toEqual({
      connectTimeoutMs: 60_000,
      timeoutMs: 10_000,
      maxBytes: DEFAULT_MAX_BYTES,
    });
    expect(createHttpFetcher({ timeoutMs: 5 }).settings.timeoutMs).toBe(5);
  });

  it("chain --online: Exchange's timeouts unless the environment overrides them; HTTP_PROXY is used", () => {
    expect(fetcherFromEnv({}).settings).toEqual({
      connectTimeoutMs: 60_000,
      timeoutMs: 10_000,
      maxBytes: DEFAULT_MAX_BYTES,
    });
    expect(
      fetcherFromEnv({
        SMIMETRUST_CONNECT_TIMEOUT_MS: "1500",
        SMIMETRUST_TIMEOUT_MS: "700",
        HTTP_PROXY: "http://proxy.contoso.example:8080",
      }).settings,
    ).toEqual({
      connectTimeoutMs: 1500,
      timeoutMs: 700,
      maxBytes: DEFAULT_MAX_BYTES,
      proxy: "http://proxy.contoso.example:8080",
    });
    // Nonsense values fall back to the defaults rather than to no timeout at all.
    const odd = fetcherFromEnv({
      SMIMETRUST_CONNECT_TIMEOUT_MS: "-5",
      SMIMETRUST_TIMEOUT_MS: "soon",
    }).settings;
    expect([odd.connectTimeoutMs, odd.timeoutMs]).toEqual([60_000, 10_000]);
  });

  it("GETs a body and returns non-200 statuses without throwing", async () => {
    const f = createHttpFetcher();
    const r = await f.get(`${srv.url}/hello`);
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body).toString()).toBe("hello");
    const nf = await f.get(`${srv.url}/missing`);
    expect(nf.status).toBe(404);
  });

  it("follows up to 3 redirects and refuses more, and refuses other schemes", async () => {
    const f = createHttpFetcher();
    const r = await f.get(`${srv.url}/r1`);
    expect(Buffer.from(r.body).toString()).toBe("hello");
    expect(await code(f.get(`${srv.url}/loop`))).toBe("ERR_FETCH_REDIRECTS");
    expect(srv.counts.get("/loop")).toBe(4);
    expect(await code(f.get(`${srv.url}/toftp`))).toBe("ERR_FETCH_SCHEME");
    expect(await code(f.get("file:///etc/passwd"))).toBe("ERR_FETCH_SCHEME");
  });

  it("POSTs with the content type (OCSP)", async () => {
    const f = createHttpFetcher();
    const r = await f.post(`${srv.url}/echo`, Uint8Array.of(1, 2, 3), "application/ocsp-request");
    expect([...r.body]).toEqual([1, 2, 3]);
    expect(r.contentType).toBe("application/ocsp-request");
  });

  it("aborts a server that never answers within the retrieval timeout", async () => {
    const f = createHttpFetcher({ timeoutMs: 300 });
    const t = Date.now();
    expect(await code(f.get(`${srv.url}/hang`))).toBe("ERR_FETCH_TIMEOUT");
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
  });

  it("a deadline (the validation's accumulative budget) ends a request before the fetcher's own timeouts", async () => {
    const f = createHttpFetcher({ timeoutMs: 60_000 });
    const t = Date.now();
    expect(await code(f.get(`${srv.url}/hang`, { deadline: Date.now() + 300 }))).toBe("ERR_FETCH_TIMEOUT");
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    // A deadline already past: refused at once, nothing sent.
    const before = f.stats.network;
    expect(await code(f.get(`${srv.url}/hang`, { deadline: Date.now() - 1 }))).toBe("ERR_FETCH_TIMEOUT");
    expect(f.stats.network).toBe(before);
  });

  it("withDeadline: every call shares one deadline; calls after it fail without reaching the fetcher", async () => {
    const seen: (number | undefined)[] = [];
    const inner: Fetcher = {
      get: async (_url, o) => {
        seen.push(o?.deadline);
        return { status: 200, body: new Uint8Array(0) };
      },
      post: async (_url, _b, _ct, o) => {
        seen.push(o?.deadline);
        return { status: 200, body: new Uint8Array(0) };
      },
    };
    const end = Date.now() + 60_000;
    const f = withDeadline(inner, end, 60_000);
    await f.get("http://a.example/x.crl");
    await f.post("http://a.example/ocsp", Uint8Array.of(1), "application/ocsp-request");
    await f.get("http://a.example/y.crl", { deadline: end - 5 });
    expect(seen).toEqual([end, end, end - 5]);
    const past = withDeadline(inner, Date.now() - 1, 10);
    await expect(past.get("http://a.example/z.crl")).rejects.toThrow(/no time left/);
    expect(seen).toHaveLength(3);
  });

  it("gives up connecting after the connect timeout (a name that never resolves)", async () => {
    const f = createHttpFetcher({ connectTimeoutMs: 300, timeoutMs: 60_000, lookup: () => {} });
    const t = Date.now();
    expect(await code(f.get("http://crl.never-resolves.test/a.crl"))).toBe("ERR_FETCH_CONNECT_TIMEOUT");
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
  });

  it("enforces the size limit, declared or streamed", async () => {
    const f = createHttpFetcher({ maxBytes: 1000 });
    expect(await code(f.get(`${srv.url}/big`))).toBe("ERR_FETCH_TOO_LARGE");
    expect(await code(f.get(`${srv.url}/bigchunked`))).toBe("ERR_FETCH_TOO_LARGE");
    expect(await code(createHttpFetcher({ maxBytes: 20_000 }).get(`${srv.url}/big`))).toBe("resolved");
  });

  it("goes through an HTTP proxy when given one", async () => {
    let seen: { url?: string; host?: string } = {};
    srv.routes.set("/via-proxy.crl", (req) => {
      seen = { url: req.url, host: req.headers.host };
      return { body: "proxied" };
    });
    const f = createHttpFetcher({ proxy: srv.url });
    const r = await f.get("http://crl.contoso.invalid/via-proxy.crl");
    expect(Buffer.from(r.body).toString()).toBe("proxied");
    expect(seen).toEqual({ url: "http://crl.contoso.invalid/via-proxy.crl", host: "crl.contoso.invalid" });
  });

  it("reports a refused connection as a network error", async () => {
    const f = createHttpFetcher({ timeoutMs: 1000 });
    expect(await code(f.get("http://127.0.0.1:1/x"))).toBe("ERR_FETCH_NETWORK");
  });
});

describe("fetch cache", () => {
  it("keeps a CRL until its nextUpdate", async () => {
    let now = T0;
    const f = createHttpFetcher({ cache: createFetchCache(), now: () => now });
    const before = srv.counts.get("/crl") ?? 0;
    await f.get(`${srv.url}/crl`);
    now = T0 + HOUR / 2;
    const again = await f.get(`${srv.url}/crl`);
    expect(again.status).toBe(200);
    expect(Buffer.from(again.body).equals(Buffer.from(crlDer))).toBe(true);
    expect(srv.counts.get("/crl")! - before).toBe(1);
    expect(f.stats).toEqual({ network: 1, cacheHits: 1 });
    now = T0 + 2 * HOUR; // past nextUpdate
    await f.get(`${srv.url}/crl`);
    expect(srv.counts.get("/crl")! - before).toBe(2);
  });

  it("honours max-age and no-store", async () => {
    let now = T0;
    const f = createHttpFetcher({ cache: createFetchCache(), now: () => now });
    await f.get(`${srv.url}/maxage`);
    now += 59_000;
    await f.get(`${srv.url}/maxage`);
    expect(srv.counts.get("/maxage")).toBe(1);
    now += 2_000;
    await f.get(`${srv.url}/maxage`);
    expect(srv.counts.get("/maxage")).toBe(2);
    await f.get(`${srv.url}/nostore`);
    await f.get(`${srv.url}/nostore`);
    expect(srv.counts.get("/nostore")).toBe(2);
  });

  it("caches in memory by default; cache: false turns it off", async () => {
    const def = createHttpFetcher({ now: () => T0 });
    const before = srv.counts.get("/crl") ?? 0;
    await def.get(`${srv.url}/crl`);
    await def.get(`${srv.url}/crl`);
    expect(srv.counts.get("/crl")! - before).toBe(1);
    const none = createHttpFetcher({ cache: false, now: () => T0 });
    await none.get(`${srv.url}/crl`);
    await none.get(`${srv.url}/crl`);
    expect(srv.counts.get("/crl")! - before).toBe(3);
    expect(none.stats).toEqual({ network: 2, cacheHits: 0 });
  });

  it("remembers a failed request for FAILURE_TTL_MS (an HTTP error, a timeout), then asks again", async () => {
    let now = T0;
    const f = createHttpFetcher({ cache: createFetchCache(), now: () => now, timeoutMs: 300 });
    const before = srv.counts.get("/missing2") ?? 0;
    expect((await f.get(`${srv.url}/missing2`)).status).toBe(404);
    now += FAILURE_TTL_MS - 1000;
    expect((await f.get(`${srv.url}/missing2`)).status).toBe(404);
    expect(srv.counts.get("/missing2")! - before).toBe(1);
    now += 1000;
    expect((await f.get(`${srv.url}/missing2`)).status).toBe(404);
    expect(srv.counts.get("/missing2")! - before).toBe(2);

    // A server that never answers costs the timeout once; the next asks fail at once, saying so.
    const hangs = srv.counts.get("/hang") ?? 0;
    expect(await code(f.get(`${srv.url}/hang`))).toBe("ERR_FETCH_TIMEOUT");
    now += 30_000;
    const t = Date.now();
    const again = await f.get(`${srv.url}/hang`).catch((e: FetchError) => e);
    expect(Date.now() - t).toBeLessThan(200);
    expect(again).toBeInstanceOf(FetchError);
    expect((again as FetchError).code).toBe("ERR_FETCH_TIMEOUT");
    expect((again as FetchError).message).toMatch(/\(30 s ago; not asked again for 5 minutes\)$/);
    expect(srv.counts.get("/hang")! - hangs).toBe(1);
  });

  it("a request the time budget left little time for is not a failure of the URL; one it left enough is", async () => {
    const f = createHttpFetcher({ cache: false, timeoutMs: 400 });
    const before = srv.counts.get("/hello") ?? 0;
    expect(await code(f.get(`${srv.url}/hello`, { deadline: Date.now() - 1 }))).toBe("ERR_FETCH_TIMEOUT");
    expect((await f.get(`${srv.url}/hello`)).status).toBe(200);
    expect(srv.counts.get("/hello")! - before).toBe(1);
    // 100 ms of a 400 ms timeout: cut short by the budget, asked again next time.
    const hangs = srv.counts.get("/hang") ?? 0;
    expect(await code(f.get(`${srv.url}/hang`, { deadline: Date.now() + 100 }))).toBe("ERR_FETCH_TIMEOUT");
    expect(await code(f.get(`${srv.url}/hang`, { deadline: Date.now() + 100 }))).toBe("ERR_FETCH_TIMEOUT");
    expect(srv.counts.get("/hang")! - hangs).toBe(2);
    // The budget about as long as the timeout (Exchange's defaults: 10 s each): no answer is a failure.
    const g = createHttpFetcher({ cache: false, timeoutMs: 400 });
    expect(await code(g.get(`${srv.url}/hang`, { deadline: Date.now() + 390 }))).toBe("ERR_FETCH_TIMEOUT");
    const again = await g.get(`${srv.url}/hang`, { deadline: Date.now() + 390 }).catch((e: FetchError) => e);
    expect((again as FetchError).message).toMatch(/not asked again for 5 minutes/);
    expect(srv.counts.get("/hang")! - hangs).toBe(3);
  });

  it("keeps a CRL already past its nextUpdate for STALE_TTL_MS, not fetching it for every use", async () => {
    let now = T0 + 3 * HOUR; // the CRL's nextUpdate was T0 + 1 hour
    const f = createHttpFetcher({ cache: createFetchCache(), now: () => now });
    const before = srv.counts.get("/crl") ?? 0;
    await f.get(`${srv.url}/crl`);
    now += STALE_TTL_MS - 1000;
    await f.get(`${srv.url}/crl`);
    expect(srv.counts.get("/crl")! - before).toBe(1);
    now += 1000;
    await f.get(`${srv.url}/crl`);
    expect(srv.counts.get("/crl")! - before).toBe(2);
  });

  it("persists in a folder across fetchers", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smimetrust-cache-"));
    try {
      const now = () => T0;
      const before = srv.counts.get("/crl") ?? 0;
      await createHttpFetcher({ cache: createFetchCache({ dir }), now }).get(`${srv.url}/crl`);
      const second = createHttpFetcher({ cache: createFetchCache({ dir }), now });
      const r = await second.get(`${srv.url}/crl`);
      expect(r.status).toBe(200);
      expect(r.contentType).toBe("application/pkix-crl");
      expect(Buffer.from(r.body).equals(Buffer.from(crlDer))).toBe(true);
      expect(second.stats.cacheHits).toBe(1);
      expect(srv.counts.get("/crl")! - before).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shares one request among concurrent fetches of the same URL", async () => {
    const f = createHttpFetcher({ cache: createFetchCache(), now: () => T0 });
    const before = srv.counts.get("/crl") ?? 0;
    await Promise.all([f.get(`${srv.url}/crl`), f.get(`${srv.url}/crl`), f.get(`${srv.url}/crl`)]);
    expect(srv.counts.get("/crl")! - before).toBe(1);
  });
});
