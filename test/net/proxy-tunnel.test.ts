/**
 * https: through a proxy: a CONNECT tunnel to a real proxy on 127.0.0.1, TLS with the origin inside it (a real
 * https server with a test CA given as `ca`), Proxy-Authorization on the CONNECT only, and refusals as one
 * FetchError that names neither the proxy's credentials nor the path.
 */
import { once } from "node:events";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpFetcher, FetchError } from "../../src/io/http-fetcher.js";
import { TAG, tlv } from "../../src/lib/der.js";
import { OID } from "../../src/lib/oids.js";
import { issue, root } from "../helpers/pki.js";

const ca = root("CN=Tunnel Test CA");
const site = issue({
  subject: "CN=localhost",
  issuer: ca,
  eku: [OID.serverAuth],
  keyUsage: [0, 2],
  extensions: [{ oid: OID.subjectAltName, value: tlv(TAG.SEQUENCE, tlv(0x82, Buffer.from("localhost"))) }],
});
const BODY = Buffer.from("certificate bytes");

let origin: https.Server;
let proxy: http.Server;
let originPort = 0;
let proxyPort = 0;
let refuse = false;
const seen: { connect: string[]; auth: (string | undefined)[]; paths: string[] } = {
  connect: [],
  auth: [],
  paths: [],
};

beforeAll(async () => {
  origin = https.createServer(
    { key: site.key.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: site.pem },
    (req, res) => {
      seen.paths.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/pkix-cert" });
      res.end(BODY);
    },
  );
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  originPort = (origin.address() as AddressInfo).port;
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.connect.push(req.url ?? "");
    seen.auth.push(req.headers["proxy-authorization"]);
    if (refuse) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    // Whatever host was asked, the origin is the local server (localhost may resolve to ::1 here).
    const up = net.connect(originPort, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on("error", () => client.destroy());
    client.on("error", () => up.destroy());
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  proxyPort = (proxy.address() as AddressInfo).port;
});

afterAll(() => {
  origin.close();
  proxy.close();
});

describe("https: through an HTTP proxy", () => {
  it("tunnels with CONNECT, verifies the origin's certificate and sends the proxy's credentials only to it", async () => {
    const f = createHttpFetcher({
      proxy: `http://alice:s3cret@127.0.0.1:${proxyPort}`,
      ca: [ca.pem],
      cache: false,
      connectTimeoutMs: 5000,
      timeoutMs: 5000,
    });
    const r = await f.get(`https://localhost:${originPort}/pki/issuing.crt?x=1`);
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body).equals(BODY)).toBe(true);
    expect(seen.connect.at(-1)).toBe(`localhost:${originPort}`);
    expect(seen.auth.at(-1)).toBe(`Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
    // The path travelled inside TLS: the origin saw it, the proxy only host and port.
    expect(seen.paths.at(-1)).toBe("/pki/issuing.crt?x=1");
  });

  it("refuses an origin whose certificate is not trusted (no ca given)", async () => {
    const f = createHttpFetcher({ proxy: `http://127.0.0.1:${proxyPort}`, cache: false, timeoutMs: 5000 });
    const e = await f.get(`https://localhost:${originPort}/x.crt`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).code).toBe("ERR_FETCH_NETWORK");
  });

  it("a proxy that refuses the tunnel: one FetchError with its status, no credentials in it", async () => {
    refuse = true;
    try {
      const f = createHttpFetcher({
        proxy: `http://alice:s3cret@127.0.0.1:${proxyPort}`,
        ca: [ca.pem],
        cache: false,
        timeoutMs: 5000,
      });
      const e = await f.get(`https://localhost:${originPort}/y.crt?token=abc`).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(FetchError);
      expect((e as FetchError).message).toMatch(/refused the tunnel \(HTTP 407\)/);
      expect((e as FetchError).message).not.toMatch(/s3cret|alice|token=abc/);
    } finally {
      refuse = false;
    }
  });
});
