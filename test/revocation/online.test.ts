/**
 * Online revocation against a real HTTP server on 127.0.0.1: CRL distribution points (DER and PEM),
 * OCSP (issuer-signed and delegated responders), failures (404, timeouts) and the fetch cache.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFetchCache, createHttpFetcher } from "../../src/io/http-fetcher.js";
import type { Fetcher } from "../../src/lib/fetcher.js";
import { OID } from "../../src/lib/oids.js";
import { DEFAULTS, validateChain } from "../../src/path/validate.js";
import { checkRevocation, type RevocationContext } from "../../src/revocation/check.js";
import { parseCrl, serialKey } from "../../src/revocation/crl.js";
import { buildOcspRequest, parseOcspResponse } from "../../src/revocation/ocsp.js";
import { TrustList } from "../../src/trust/trust-list.js";
import { toPem } from "../../src/x509/certificate.js";
import {
  crl,
  crlDistributionPoints,
  ext,
  type Issued,
  intermediate,
  issue,
  leaf,
  makeKey,
  type OcspSpec,
  ocspResponse,
  root,
} from "../helpers/pki.js";
import { startServer, type TestServer } from "../net/server.js";

const DAY = 86_400_000;
const now = Date.now();
let srv: TestServer;
const rootCA = root("CN=Online Root,O=Test");
const ca = intermediate("CN=Online CA,O=Test", rootCA);
const certs: Record<string, Issued> = {};

function ctx(fetcher: Fetcher | undefined, extra: Partial<RevocationContext> = {}): RevocationContext {
  return {
    time: now,
    crls: [],
    online: true,
    ...(fetcher ? { fetcher } : {}),
    candidateSigners: (key) => [rootCA, ca].map((i) => i.cert).filter((c) => c.subject.key === key),
    validateSigner: async () => true,
    ...extra,
  };
}

const check = (name: string, c: RevocationContext) =>
  checkRevocation(certs[name].cert, ca.cert, [certs[name].cert, ca.cert, rootCA.cert], 0, c);

beforeAll(async () => {
  srv = await startServer();
  const cdp = (p: string) => ({ extensions: [ext.crlDistributionPoint(`${srv.url}${p}`)] });
  const aia = (p: string) => ({ extensions: [ext.aia({ ocsp: `${srv.url}${p}` })] });
  certs.good = leaf("good@example.test", ca, cdp("/good.crl"));
  certs.pem = leaf("pem@example.test", ca, cdp("/revoked.pem"));
  certs.missing = leaf("missing@example.test", ca, cdp("/missing.crl"));
  certs.hang = leaf("hang@example.test", ca, cdp("/hang.crl"));
  certs.redirect = leaf("redirect@example.test", ca, cdp("/moved.crl"));
  certs.both = leaf("both@example.test", ca, {
    extensions: [
      ext.crlDistributionPoint(`${srv.url}/missing.crl`),
      ext.aia({ ocsp: `${srv.url}/ocsp/good` }),
    ],
  });
  for (const s of [
    "good",
    "revoked",
    "unknown",
    "badsig",
    "delegated",
    "delegated-noeku",
    "delegated-other",
    "trylater",
    "wrongserial",
    "stale",
    "garbage",
  ])
    certs[`ocsp-${s}`] = leaf(`ocsp-${s}@example.test`, ca, aia(`/ocsp/${s}`));

  srv.routes.set("/good.crl", {
    body: crl({ issuer: ca, revoked: [{ serial: Uint8Array.of(5) }] }),
    headers: { "content-type": "application/pkix-crl" },
  });
  srv.routes.set("/revoked.pem", {
    body: toPem(
      "X509 CRL",
      crl({ issuer: ca, revoked: [{ serial: certs.pem.cert.serialNumber, reason: 1 }] }),
    ),
  });
  srv.routes.set("/hang.crl", "hang");
  srv.routes.set("/moved.crl", { status: 301, headers: { location: "/good.crl" } });

  const responder = issue({
    subject: "CN=Online OCSP Responder,O=Test",
    issuer: ca,
    eku: [OID.ocspSigning],
    keyUsage: [0],
  });
  const noEku = issue({ subject: "CN=Online OCSP No EKU,O=Test", issuer: ca, keyUsage: [0] });
  const otherCa = root("CN=Other Root,O=Test");
  const foreign = issue({ subject: "CN=Foreign Responder,O=Test", issuer: otherCa, eku: [OID.ocspSigning] });
  const ocsp = (name: string, spec: Partial<OcspSpec>) =>
    srv.routes.set(`/ocsp/${name}`, {
      body: ocspResponse({ cert: certs[`ocsp-${name}`], issuer: ca, status: "good", ...spec }),
      headers: { "content-type": "application/ocsp-response" },
    });
  // "both" asks the same URL: answer for whichever certificate the request names.
  srv.routes.set("/ocsp/good", (_req, body) => {
    const who = Buffer.from(body).includes(Buffer.from(certs.both.cert.serialNumber))
      ? certs.both
      : certs["ocsp-good"];
    return { body: ocspResponse({ cert: who, issuer: ca, status: "good" }) };
  });
  ocsp("revoked", { status: "revoked", revocationTime: Date.UTC(2026, 0, 2), reason: 1 });
  ocsp("unknown", { status: "unknown" });
  ocsp("badsig", { signKey: makeKey() });
  ocsp("delegated", { responder });
  ocsp("delegated-noeku", { responder: noEku });
  ocsp("delegated-other", { responder: foreign });
  ocsp("trylater", { responseStatus: 3 });
  ocsp("wrongserial", { serial: Uint8Array.of(0x42) });
  ocsp("stale", { thisUpdate: now - 10 * DAY, nextUpdate: now - DAY });
  srv.routes.set("/ocsp/garbage", { body: "<html>proxy error</html>" });
});

afterAll(async () => {
  await srv.close();
});

describe("online CRLs", () => {
  it("fetches the distribution point (DER) and finds the certificate good", async () => {
    const r = await check("good", ctx(createHttpFetcher()));
    expect(r).toEqual({ status: "good", problems: [] });
  });

  it("reads PEM CRLs and reports revocation", async () => {
    const r = await check("pem", ctx(createHttpFetcher()));
    expect(r.status).toBe("revoked");
    expect(r.problems.map((p) => p.code)).toEqual(["CERT_REVOKED"]);
  });

  it("follows a redirect to the CRL", async () => {
    expect((await check("redirect", ctx(createHttpFetcher()))).status).toBe("good");
  });

  it("404 -> unknown, naming the URL and status", async () => {
    const r = await check("missing", ctx(createHttpFetcher()));
    expect(r.status).toBe("unknown");
    expect(r.problems[0].code).toBe("REVOCATION_UNKNOWN");
    expect(r.problems[0].message).toContain("/missing.crl: HTTP 404");
  });

  it("a server that never answers -> unknown within the timeout", async () => {
    const t = Date.now();
    const r = await check("hang", ctx(createHttpFetcher({ timeoutMs: 300 })));
    expect(Date.now() - t).toBeLessThan(2000);
    expect(r.status).toBe("unknown");
    expect(r.problems[0].message).toContain("within 300 ms");
  });

  it("validateChain: all retrievals of one validation share one budget (OWACRLRetrievalTimeout), default 10 s", async () => {
    // Four distribution points that never answer, then an OCSP responder that never answers: with the
    // fetcher's own 60 s limits alone this would take minutes; the accumulative budget ends it.
    srv.routes.set("/ocsp/hang", "hang");
    const slow = leaf("slow@example.test", ca, {
      extensions: [
        crlDistributionPoints(
          ["/hang.crl", "/hang2.crl", "/hang3.crl", "/hang4.crl"].map((p) => ({ uri: `${srv.url}${p}` })),
        ),
        ext.aia({ ocsp: `${srv.url}/ocsp/hang` }),
      ],
    });
    for (const p of ["/hang2.crl", "/hang3.crl", "/hang4.crl"]) srv.routes.set(p, "hang");
    const rootCrl = crl({ issuer: rootCA });
    const base = {
      time: now,
      online: true,
      crls: [rootCrl],
      untrusted: [{ cert: ca.cert, source: "message" as const }],
      fetcher: createHttpFetcher({ timeoutMs: 60_000 }),
    };
    const t = Date.now();
    const res = await validateChain(slow.cert, new TrustList([rootCA.cert]), {
      ...base,
      retrievalTimeoutMs: 400,
    });
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(3000);
    expect(res.path[0].problems.map((p) => [p.code, p.severity])).toEqual([
      ["REVOCATION_UNKNOWN", "warning"],
    ]);
    expect(DEFAULTS.retrievalTimeoutMs).toBe(10_000);
  });

  it("does not go online when not asked to, or when a given CRL decides", async () => {
    const before = srv.counts.get("/good.crl") ?? 0;
    const offline = await check("good", ctx(createHttpFetcher(), { online: false }));
    expect(offline.status).toBe("unknown");
    const given = await check("good", ctx(createHttpFetcher(), { crls: [parseCrl(crl({ issuer: ca }))] }));
    expect(given.status).toBe("good");
    expect(srv.counts.get("/good.crl") ?? 0).toBe(before);
  });

  it("a cached fetcher hits the server once for repeated checks", async () => {
    const f = createHttpFetcher({ cache: createFetchCache() });
    const before = srv.counts.get("/good.crl") ?? 0;
    for (let i = 0; i < 3; i++) expect((await check("good", ctx(f))).status).toBe("good");
    expect((srv.counts.get("/good.crl") ?? 0) - before).toBe(1);
    expect(f.stats.cacheHits).toBe(2);
  });

  it("falls back to OCSP when the CRL cannot be had", async () => {
    const r = await check("both", ctx(createHttpFetcher()));
    expect(r.status).toBe("good");
  });
});

describe("OCSP", () => {
  const status = async (name: string) => {
    const r = await check(`ocsp-${name}`, ctx(createHttpFetcher()));
    return { status: r.status, codes: r.problems.map((p) => p.code), message: r.problems[0]?.message ?? "" };
  };

  it("good, revoked and unknown answers", async () => {
    expect((await status("good")).status).toBe("good");
    const rev = await status("revoked");
    expect(rev.status).toBe("revoked");
    expect(rev.codes).toEqual(["CERT_REVOKED"]);
    expect(rev.message).toContain("2026-01-02");
    expect(rev.message).toContain("keyCompromise");
    const unk = await status("unknown");
    expect(unk.codes).toEqual(["REVOCATION_UNKNOWN"]);
    expect(unk.message).toContain("does not know");
  });

  it("posts a well-formed SHA-1 CertID request", async () => {
    await status("good");
    const last = srv.last.get("/ocsp/good")!;
    expect(last.method).toBe("POST");
    expect(last.contentType).toBe("application/ocsp-request");
    const req = buildOcspRequest(certs["ocsp-good"].cert, ca.cert);
    expect(Buffer.from(last.body).equals(Buffer.from(req))).toBe(true);
    // An independent reader: OpenSSL prints the CertID it sees.
    const dir = mkdtempSync(path.join(tmpdir(), "ocsp-"));
    try {
      writeFileSync(path.join(dir, "req.der"), req);
      const text = execFileSync(
        "openssl",
        ["ocsp", "-reqin", path.join(dir, "req.der"), "-req_text", "-noverify"],
        { encoding: "utf8" },
      );
      expect(text).toContain("Hash Algorithm: sha1");
      expect(text.replace(/\s/g, "")).toContain(`SerialNumber:${certs["ocsp-good"].cert.serial}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a delegated responder issued by the issuer with OCSPSigning", async () => {
    expect((await status("delegated")).status).toBe("good");
  });

  it("rejects bad signatures and unauthorised responders", async () => {
    const bad = await status("badsig");
    expect(bad.status).toBe("unknown");
    expect(bad.message).toContain("does not verify");
    const noEku = await status("delegated-noeku");
    expect(noEku.status).toBe("unknown");
    expect(noEku.message).toContain("OCSPSigning");
    const other = await status("delegated-other");
    expect(other.status).toBe("unknown");
    expect(other.message).toContain("not issued by");
  });

  it("unknown for error statuses, other certificates, stale and unparseable answers", async () => {
    expect((await status("trylater")).message).toContain("tryLater");
    expect((await status("wrongserial")).message).toContain("does not answer for this certificate");
    expect((await status("stale")).message).toContain("stale");
    expect((await status("garbage")).message).toContain("not a valid OCSP response");
  });

  it("parses a response's fields", () => {
    const res = parseOcspResponse(
      ocspResponse({
        cert: certs["ocsp-revoked"],
        issuer: ca,
        status: "revoked",
        revocationTime: Date.UTC(2026, 0, 2),
        reason: 1,
      }),
    );
    expect(res.responseStatus).toBe(0);
    expect(res.basic!.responses[0]).toMatchObject({
      status: "revoked",
      revocationTime: Date.UTC(2026, 0, 2),
      reason: 1,
    });
    expect(res.basic!.responses[0].certId.serial).toBe(serialKey(certs["ocsp-revoked"].cert.serialNumber));
    expect(res.basic!.responderKeyHash?.length).toBe(20);
  });
});
