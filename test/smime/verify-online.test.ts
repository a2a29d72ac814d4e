/**
 * `verify --online`: a signer whose intermediate the message does not carry is completed from its AIA
 * caIssuers URL, and its revocation read from its CRL distribution point, over HTTP from a real server on
 * 127.0.0.1. The HTTP client loads only for such a run (in this thread and in each worker), so both are run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, runScript } from "../helpers/cli.js";
import { crl, ext, intermediate, leaf, root } from "../helpers/pki.js";
import { smimeMessage } from "../helpers/smime.js";
import { tempFolder } from "../helpers/temp.js";
import { startServer, type TestServer } from "../net/server.js";

// Today: the HTTP cache keeps a CRL until its nextUpdate by the clock, whatever time the chain is checked at.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const AT = new Date(NOW).toISOString();
const DAY = 86_400_000;
const r = root("CN=Online Verify Root", { now: NOW });
const ica = intermediate("CN=Online Verify Issuing CA", r, { now: NOW, extensions: [] });
const { dir, write } = tempFolder("smimetrust-verify-online-");
const trustFile = write("trust.pem", r.pem);

let srv: TestServer;
let bob: ReturnType<typeof leaf>;
/** Signed by bob, carrying bob's certificate alone (not the issuing CA's). */
const message = (n: number) =>
  smimeMessage({
    from: "bob@contoso.com",
    subject: `online ${n}`,
    signers: [{ signer: bob }],
    certs: [bob.der],
  });

beforeAll(async () => {
  srv = await startServer({
    "/ica.cer": { body: ica.der, headers: { "content-type": "application/pkix-cert" } },
    "/ica.crl": {
      body: crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }),
      headers: { "content-type": "application/pkix-crl" },
    },
  });
  bob = leaf("bob@contoso.com", ica, {
    now: NOW,
    extensions: [
      ext.aia({ caIssuers: `${srv.url}/ica.cer` }),
      ext.crlDistributionPoint(`${srv.url}/ica.crl`),
    ],
  });
  for (let n = 1; n <= 3; n++) write(`mail/${n}.eml`, message(n));
});
afterAll(() => srv.close());

describe("verify --online", () => {
  it("without --online the chain stops at the missing intermediate, and nothing is fetched", async () => {
    srv.counts.clear();
    const res = await cli([
      "verify",
      `${dir}/mail`,
      "--trust",
      trustFile,
      "--at",
      AT,
      "--json",
      "--jobs",
      "1",
    ]);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.stdout).map((x: { verdict: string }) => x.verdict)).toEqual([
      "invalid",
      "invalid",
      "invalid",
    ]);
    expect(srv.counts.size).toBe(0);
  });

  it("with --online (one thread) the issuer comes over AIA, its CRL from the distribution point: valid", async () => {
    srv.counts.clear();
    const res = await cli([
      "verify",
      `${dir}/mail`,
      "--trust",
      trustFile,
      "--at",
      AT,
      "--online",
      "--json",
      "--jobs",
      "1",
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.map((x: { verdict: string }) => x.verdict)).toEqual(["valid", "valid", "valid"]);
    expect(out[0].signers[0].chain.map((c: { sha1: string; source: string }) => [c.sha1, c.source])).toEqual([
      [bob.cert.sha1, "message"],
      [ica.cert.sha1, "aia"],
      [r.cert.sha1, "trust"],
    ]);
    // Fetched once and cached for the other messages.
    expect(srv.counts.get("/ica.cer")).toBe(1);
    expect(srv.counts.get("/ica.crl")).toBe(1);
  });

  it("in worker threads too: each worker loads its own HTTP client and fetches what it needs", () => {
    // Worker threads from the sources need a process of their own (see online-run.ts).
    const out = runScript<{ results: string[]; sources: string[][]; threads: number; fetched: number }>(
      "test/smime/online-run.ts",
    );
    expect(out.results).toEqual(["0:valid", "1:valid", "2:valid", "3:valid", "4:valid", "5:valid"]);
    for (const s of out.sources) expect(s).toEqual(["message", "aia", "trust"]);
    expect(out.threads).toBeGreaterThanOrEqual(1);
    // Once per worker at most: each caches what it fetched.
    expect(out.fetched).toBeGreaterThanOrEqual(1);
    expect(out.fetched).toBeLessThanOrEqual(out.threads);
  });
});
