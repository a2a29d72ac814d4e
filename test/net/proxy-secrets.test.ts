/**
 * A proxy given with credentials (HTTP_PROXY=http://user:password@proxy:8080): they are sent as
 * Proxy-Authorization and never appear in an error, whatever failed.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createHttpFetcher, FetchError } from "../../src/io/http-fetcher.js";
import { closedPort } from "../monitor/servers.js";

const PASS = "Pr0xyS3cret!x";

describe("HTTP proxy credentials", () => {
  it("are sent as Proxy-Authorization (Basic), not in the request line", async () => {
    const seen: { auth?: string; url?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ auth: req.headers["proxy-authorization"], url: req.url });
      res.writeHead(200).end("proxied");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const f = createHttpFetcher({ proxy: `http://puser:${encodeURIComponent(PASS)}@127.0.0.1:${port}` });
      const r = await f.get("http://crl.contoso.invalid/ca.crl");
      expect(Buffer.from(r.body).toString()).toBe("proxied");
      expect(seen).toEqual([
        {
          auth: `Basic ${Buffer.from(`puser:${PASS}`).toString("base64")}`,
          url: "http://crl.contoso.invalid/ca.crl",
        },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("no error names them: a proxy that is down, a URL with user information", async () => {
    const port = await closedPort();
    const f = createHttpFetcher({
      proxy: `http://puser:${encodeURIComponent(PASS)}@127.0.0.1:${port}`,
      timeoutMs: 2000,
    });
    const e = await f.get("http://crl.contoso.invalid/ca.crl?token=Tok3nValue9").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).code).toBe("ERR_FETCH_NETWORK");
    expect((e as FetchError).message).not.toContain(PASS);
    const bad = await createHttpFetcher()
      .get(`ftp://user:${PASS}@ftp.contoso.invalid/ca.crl?token=Tok3nValue9`)
      .catch((x: unknown) => x);
    expect((bad as Error).message).not.toContain(PASS);
    expect((bad as Error).message).not.toContain("Tok3nValue9");
  });
});
