import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, spawnCli } from "../helpers/cli.js";
import { crl, ext, intermediate, leaf, ocspResponse, root } from "../helpers/pki.js";
import { startServer, type TestServer } from "../net/server.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const AT = "2026-06-01T12:00:00Z";
const dir = mkdtempSync(join(tmpdir(), "smimetrust-chain-"));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

const r = root("CN=Contoso Root CA,O=Contoso", { now: NOW });
const ica = intermediate("CN=Contoso Issuing CA,O=Contoso", r, { now: NOW });
const alice = leaf("alice@contoso.com", ica, { now: NOW });
const rootPem = file("root.pem", r.pem);
const icaPem = file("ica.pem", ica.pem);
const alicePem = file("alice.pem", alice.pem);
const bundle = file("alice-bundle.pem", alice.pem + ica.pem);
const crlRoot = file("root.crl", crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }));
const crlIca = file("ica.crl", crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }));

describe("smimetrust chain", () => {
  it("prints the JSON contract for a valid path and exits 0", async () => {
    const res = await cli([
      "chain",
      alicePem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--at",
      AT,
      "--json",
    ]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(Object.keys(doc)).toEqual(["verdict", "problems", "path"]);
    expect(doc.verdict).toBe("valid");
    expect(doc.problems).toEqual([]);
    expect(doc.path.map((p: Record<string, unknown>) => Object.keys(p))).toEqual([
      ["subject", "sha1", "source", "problems"],
      ["subject", "sha1", "source", "problems"],
      ["subject", "sha1", "source", "problems"],
    ]);
    expect(doc.path.map((p: { sha1: string; source: string }) => [p.sha1, p.source])).toEqual([
      [alice.cert.sha1, "extra"],
      [ica.cert.sha1, "extra"],
      [r.cert.sha1, "trust"],
    ]);
    expect(doc.path[1].subject).toBe("CN=Contoso Issuing CA, O=Contoso");
    // Without CRLs the revocation status is unknown: a warning under the standard profile.
    expect(doc.path[0].problems.map((p: { code: string; severity: string }) => [p.code, p.severity])).toEqual(
      [["REVOCATION_UNKNOWN", "warning"]],
    );
  });

  it("takes intermediates from the certificate file itself", async () => {
    const res = await cli([
      "chain",
      bundle,
      "--trust",
      rootPem,
      "--crl",
      crlRoot,
      "--crl",
      crlIca,
      "--at",
      AT,
      "--json",
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).path.map((p: { sha1: string }) => p.sha1)).toEqual([
      alice.cert.sha1,
      ica.cert.sha1,
      r.cert.sha1,
    ]);
  });

  it("draws the tree with marks, names, thumbprints and hints; exit 1 when the intermediate is missing", async () => {
    const res = await cli(["chain", alicePem, "--trust", rootPem, "--at", AT]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("✗ fail  alice");
    expect(res.stdout).toContain(alice.cert.sha1);
    expect(res.stdout).toContain("CHAIN_INCOMPLETE");
    expect(res.stdout).toContain("hint: Add 'CN=Contoso Issuing CA, O=Contoso' to the trust list");
    expect(res.stdout).toContain("verdict: ✗ invalid");
    const json = JSON.parse(
      (await cli(["chain", alicePem, "--trust", rootPem, "--at", AT, "--json"])).stdout,
    );
    expect(json.verdict).toBe("invalid");
    expect(json.problems.map((p: { code: string; cert: string }) => [p.code, p.cert])).toEqual([
      ["CHAIN_INCOMPLETE", alice.cert.sha1],
    ]);
  });

  it("draws a valid tree anchor first", async () => {
    const res = await cli([
      "chain",
      alicePem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crlRoot,
      "--crl",
      crlIca,
      "--at",
      AT,
    ]);
    expect(res.code).toBe(0);
    const lines = res.stdout.split("\n");
    const rootLine = lines.findIndex((l) => l.includes("Contoso Root CA"));
    const icaLine = lines.findIndex((l) => l.includes("Contoso Issuing CA"));
    const leafLine = lines.findIndex((l) => l.includes("✓ ok  alice"));
    expect(rootLine).toBeGreaterThan(-1);
    expect(rootLine).toBeLessThan(icaLine);
    expect(icaLine).toBeLessThan(leafLine);
    expect(lines[rootLine]).toContain("(trust anchor, from trust)");
    expect(lines[icaLine]).toMatch(/^└─ ✓ ok {2}Contoso Issuing CA/);
    expect(res.stdout).toContain("verdict: ✓ valid");
  });

  it("--profile exchange and --require-revocation turn an unknown revocation status into an error", async () => {
    for (const extra of [["--profile", "exchange"], ["--require-revocation"]]) {
      const res = await cli([
        "chain",
        alicePem,
        "--trust",
        rootPem,
        "--untrusted",
        icaPem,
        "--at",
        AT,
        "--json",
        ...extra,
      ]);
      expect(res.code, extra.join(" ")).toBe(1);
      expect(JSON.parse(res.stdout).problems.map((p: { code: string }) => p.code)).toEqual([
        "REVOCATION_UNKNOWN",
        "REVOCATION_UNKNOWN",
      ]);
    }
    const ok = await cli([
      "chain",
      alicePem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crlRoot,
      "--crl",
      crlIca,
      "--at",
      AT,
      "--profile",
      "exchange",
    ]);
    expect(ok.code).toBe(0);
  });

  it("--strict adds the RFC 5280 profile's rules: a certificate without an AKI is NONCONFORMING_CERT", async () => {
    const noAki = leaf("noaki@contoso.com", ica, { now: NOW, noKeyIds: true });
    const p = file("noaki.pem", noAki.pem);
    const args = [
      "chain",
      p,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crlRoot,
      "--crl",
      crlIca,
      "--at",
      AT,
      "--json",
    ];
    expect((await cli(args)).code).toBe(0);
    const strict = await cli([...args, "--strict"]);
    expect(strict.code).toBe(1);
    expect(
      JSON.parse(strict.stdout).problems.map((x: { code: string; cert: string }) => [x.code, x.cert]),
    ).toEqual([["NONCONFORMING_CERT", noAki.cert.sha1]]);
  });

  it("--profile and --anchor values are case-insensitive", async () => {
    const res = await cli([
      "chain",
      alicePem,
      "--trust",
      icaPem,
      "--at",
      AT,
      "--anchor",
      "Any",
      "--profile",
      "Exchange",
      "--json",
    ]);
    expect(res.code).toBe(1); // exchange: no CRL, revocation undeterminable
    expect(JSON.parse(res.stdout).problems.map((p: { code: string }) => p.code)).toEqual([
      "REVOCATION_UNKNOWN",
    ]);
  });

  it("--anchor any accepts an intermediate of the list as the end of the path", async () => {
    const res = await cli(["chain", alicePem, "--trust", icaPem, "--at", AT, "--anchor", "any", "--json"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).path.map((p: { source: string }) => p.source)).toEqual(["extra", "trust"]);
    expect((await cli(["chain", alicePem, "--trust", icaPem, "--at", AT])).code).toBe(1);
  });

  it("--crl takes a folder of DER and PEM CRLs: a revoked leaf is CERT_REVOKED, exit 1", async () => {
    const crls = join(dir, "crls");
    mkdirSync(crls, { recursive: true });
    writeFileSync(
      join(crls, "root.crl"),
      crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }),
    );
    const revoking = crl({
      issuer: ica,
      thisUpdate: NOW - DAY,
      nextUpdate: NOW + 7 * DAY,
      revoked: [{ serial: alice.cert.serialNumber, date: NOW - 2 * DAY, reason: 1 }],
    });
    writeFileSync(
      join(crls, "ica.pem"),
      `-----BEGIN X509 CRL-----\n${Buffer.from(revoking).toString("base64")}\n-----END X509 CRL-----\n`,
    );
    const res = await cli([
      "chain",
      alicePem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crls,
      "--at",
      AT,
      "--json",
    ]);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(doc.verdict).toBe("invalid");
    expect(doc.problems.map((p: { code: string; cert: string }) => [p.code, p.cert])).toEqual([
      ["CERT_REVOKED", alice.cert.sha1],
    ]);
    // Before the revocation date the same CRL says good.
    const before = await cli([
      "chain",
      alicePem,
      "--trust",
      rootPem,
      "--untrusted",
      icaPem,
      "--crl",
      crls,
      "--at",
      String(Math.floor((NOW - 3 * DAY) / 1000)),
      "--json",
    ]);
    expect(JSON.parse(before.stdout).problems.map((p: { code: string }) => p.code)).not.toContain(
      "CERT_REVOKED",
    );
  });

  it("a broken CRL is never silently ignored: named with --crl, exit 2; found in a folder, a warning", async () => {
    const good = crl({ issuer: ica, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY });
    const broken = Buffer.from(good);
    const t = broken.indexOf(Buffer.from([0x17, 0x0d])); // thisUpdate, a UTCTime
    broken[t + 2] = 0x58; // "X": not a digit
    const badCrl = file("broken.crl", broken);
    const args = ["chain", alicePem, "--trust", rootPem, "--untrusted", icaPem, "--at", AT, "--json"];
    const named = spawnCli([...args, "--crl", badCrl, "--crl", crlRoot]);
    expect(named.code).toBe(2);
    expect(named.stdout).toBe("");
    expect(named.stderr.trim().split("\n")).toHaveLength(1);
    expect(named.stderr).toMatch(/^smimetrust: .*broken\.crl: .*\(at byte \d+\)$/m);
    const folder = join(dir, "crls-with-a-broken-one");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "a-broken.crl"), broken);
    writeFileSync(join(folder, "ica.crl"), good);
    writeFileSync(
      join(folder, "root.crl"),
      crl({ issuer: r, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY }),
    );
    const inFolder = spawnCli([...args, "--crl", folder]);
    expect(inFolder.code).toBe(0);
    expect(JSON.parse(inFolder.stdout).verdict).toBe("valid");
    expect(inFolder.stderr).toMatch(/^warning: .*a-broken\.crl/m);
  });

  it("--crl with no CRL in it is refused (exit 2); certificates among CRLs are ignored with a warning", async () => {
    const args = ["chain", alicePem, "--trust", rootPem, "--untrusted", icaPem, "--at", AT, "--json"];
    const none = await cli([...args, "--crl", icaPem]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
    expect(none.stderr).toMatch(/^smimetrust: --crl: /);
    const mixed = await cli([...args, "--crl", crlRoot, "--crl", crlIca, "--crl", icaPem]);
    expect(mixed.code).toBe(0);
    expect(mixed.stderr).toMatch(/^warning: --crl: ignored 1 certificate/m);
    expect(JSON.parse(mixed.stdout).verdict).toBe("valid");
  });

  it("--at decides the time: after the leaf's notAfter it is CERT_EXPIRED (ISO 8601 or Unix seconds)", async () => {
    const later = new Date(alice.cert.notAfter + DAY).toISOString();
    for (const at of [later, String(Math.floor((alice.cert.notAfter + DAY) / 1000))]) {
      const res = await cli([
        "chain",
        alicePem,
        "--trust",
        rootPem,
        "--untrusted",
        icaPem,
        "--at",
        at,
        "--json",
      ]);
      expect(res.code, at).toBe(1);
      expect(
        JSON.parse(res.stdout).problems.map((p: { code: string; cert: string }) => [p.code, p.cert]),
      ).toEqual([["CERT_EXPIRED", alice.cert.sha1]]);
    }
  });

  it("--json: stdout is one JSON document on exit 0 and 1; warnings go to stderr", async () => {
    const mixed = join(dir, "mixed-trust");
    mkdirSync(mixed, { recursive: true });
    writeFileSync(join(mixed, "root.pem"), r.pem);
    writeFileSync(join(mixed, "notes.txt"), "not a certificate");
    for (const [extra, code] of [
      [["--untrusted", icaPem], 0],
      [[], 1],
    ] as [string[], number][]) {
      const res = spawnCli([
        "chain",
        alicePem,
        "--trust",
        mixed,
        "--at",
        AT,
        "--crl",
        crlRoot,
        "--crl",
        crlIca,
        "--json",
        ...extra,
      ]);
      expect(res.code).toBe(code);
      expect(() => JSON.parse(res.stdout)).not.toThrow();
      expect(res.stdout.trim().startsWith("{")).toBe(true);
      expect(res.stderr).toMatch(/^warning: skipped .*notes\.txt/m);
    }
  });

  it("exits 2 with one line for bad arguments and unreadable input", async () => {
    const bad = await cli(["chain", alicePem, "--trust", rootPem, "--anchor", "sometimes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--anchor");
    const missing = await cli(["chain", join(dir, "nope.pem"), "--trust", rootPem]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const garbage = file("garbage.cer", Uint8Array.from([0x30, 0x82, 0x10, 0x00, 1, 2, 3]));
    const g = await cli(["chain", garbage, "--trust", rootPem]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/garbage\.cer/);
    expect((await cli(["chain", alicePem, "--trust", rootPem, "--at", "yesterday-ish"])).code).toBe(2);
  });

  it("real process: exit status 0, 1 and 2", () => {
    expect(spawnCli(["chain", alicePem, "--trust", rootPem, "--untrusted", icaPem, "--at", AT]).code).toBe(0);
    const one = spawnCli(["chain", alicePem, "--trust", rootPem, "--at", AT, "--json"]);
    expect(one.code).toBe(1);
    expect(JSON.parse(one.stdout).verdict).toBe("invalid");
    const two = spawnCli(["chain", join(dir, "nope.pem"), "--trust", rootPem]);
    expect(two.code).toBe(2);
    expect(two.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("smimetrust chain --online", () => {
  let server: Server;
  let base = "";
  let requests: string[] = [];
  const r2 = root("CN=Online Root", { now: NOW });
  const ica2 = intermediate("CN=Online Issuing CA", r2, { now: NOW, extensions: [] });
  let bob: ReturnType<typeof leaf>;
  let bobPem = "";
  let root2Pem = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url === "/ica.cer") {
        res.writeHead(200, { "content-type": "application/pkix-cert" });
        res.end(Buffer.from(ica2.der));
      } else if (req.url === "/ica.crl") {
        res.writeHead(200, { "content-type": "application/pkix-crl" });
        res.end(Buffer.from(crl({ issuer: ica2, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY })));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bob = leaf("bob@contoso.com", ica2, {
      now: NOW,
      extensions: [ext.aia({ caIssuers: `${base}/ica.cer` }), ext.crlDistributionPoint(`${base}/ica.crl`)],
    });
    bobPem = file("bob.pem", bob.pem);
    root2Pem = file("root2.pem", r2.pem);
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("fetches the missing intermediate from the AIA caIssuers URL and marks it 'aia'", async () => {
    requests = [];
    const offline = await cli(["chain", bobPem, "--trust", root2Pem, "--at", AT, "--json"]);
    expect(offline.code).toBe(1);
    expect(requests).toEqual([]);
    const res = await cli(["chain", bobPem, "--trust", root2Pem, "--at", AT, "--online", "--json"]);
    const doc = JSON.parse(res.stdout);
    expect(doc.path.map((p: { sha1: string; source: string }) => [p.sha1, p.source])).toEqual([
      [bob.cert.sha1, "extra"],
      [ica2.cert.sha1, "aia"],
      [r2.cert.sha1, "trust"],
    ]);
    expect(res.code).toBe(0);
    expect(doc.verdict).toBe("valid");
    // The issuer came over AIA and the leaf's CRL from its distribution point, both from 127.0.0.1.
    expect(requests).toContain("/ica.cer");
    expect(requests).toContain("/ica.crl");
    expect(doc.path[0].problems).toEqual([]);
  });
});

describe("smimetrust chain --online: revocation over HTTP (CRL distribution points, OCSP, timeouts)", () => {
  let srv: TestServer;
  const r3 = root("CN=Revocation Root", { now: NOW });
  const ica3 = intermediate("CN=Revocation Issuing CA", r3, { now: NOW });
  let carol: ReturnType<typeof leaf>;
  let slow: ReturnType<typeof leaf>;
  let carolPem = "";
  let slowPem = "";
  let r3Pem = "";
  let ica3Pem = "";
  const rootCrl = crl({ issuer: r3, thisUpdate: NOW - DAY, nextUpdate: NOW + 7 * DAY });

  beforeAll(async () => {
    srv = await startServer({ "/root.crl": { body: rootCrl }, "/hang.crl": "hang" });
    carol = leaf("carol@contoso.com", ica3, {
      now: NOW,
      extensions: [ext.crlDistributionPoint(`${srv.url}/missing.crl`), ext.aia({ ocsp: `${srv.url}/ocsp` })],
    });
    slow = leaf("slow@contoso.com", ica3, {
      now: NOW,
      extensions: [ext.crlDistributionPoint(`${srv.url}/hang.crl`)],
    });
    srv.routes.set("/ocsp", {
      headers: { "content-type": "application/ocsp-response" },
      body: ocspResponse({
        cert: carol,
        issuer: ica3,
        status: "revoked",
        revocationTime: NOW - DAY,
        reason: 1,
        thisUpdate: NOW - 3_600_000,
        nextUpdate: NOW + 7 * DAY,
      }),
    });
    carolPem = file("carol.pem", carol.pem);
    slowPem = file("slow.pem", slow.pem);
    r3Pem = file("r3.pem", r3.pem);
    ica3Pem = file("ica3.pem", ica3.pem);
  });
  afterAll(() => srv.close());

  // The intermediate's own status comes from the root's CRL, given with --crl.
  const rootCrlFile = () => file("r3.crl", rootCrl);

  it("the CRL distribution point is missing (404): OCSP from the AIA says revoked -> CERT_REVOKED, exit 1", async () => {
    const res = await cli(
      [
        "chain",
        carolPem,
        "--trust",
        r3Pem,
        "--untrusted",
        ica3Pem,
        "--crl",
        rootCrlFile(),
        "--at",
        AT,
        "--online",
        "--json",
      ],
      { env: {} },
    );
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(doc.problems.map((p: { code: string; cert: string }) => [p.code, p.cert])).toEqual([
      ["CERT_REVOKED", carol.cert.sha1],
    ]);
    expect(srv.counts.get("/missing.crl")).toBeGreaterThanOrEqual(1);
    expect(srv.last.get("/ocsp")?.contentType).toBe("application/ocsp-request");
    // Offline, nothing is fetched and the status is only unknown.
    const before = srv.counts.get("/ocsp");
    const off = await cli([
      "chain",
      carolPem,
      "--trust",
      r3Pem,
      "--untrusted",
      ica3Pem,
      "--crl",
      rootCrlFile(),
      "--at",
      AT,
      "--json",
    ]);
    expect(JSON.parse(off.stdout).path[0].problems.map((p: { code: string }) => p.code)).toEqual([
      "REVOCATION_UNKNOWN",
    ]);
    expect(srv.counts.get("/ocsp")).toBe(before);
  });

  it("a CRL server that never answers: REVOCATION_UNKNOWN within the retrieval timeout; an error under --profile exchange", async () => {
    const env = { SMIMETRUST_TIMEOUT_MS: "300", SMIMETRUST_CONNECT_TIMEOUT_MS: "300" };
    const args = [
      "chain",
      slowPem,
      "--trust",
      r3Pem,
      "--untrusted",
      ica3Pem,
      "--crl",
      rootCrlFile(),
      "--at",
      AT,
      "--online",
      "--json",
    ];
    const started = Date.now();
    const std = await cli(args, { env });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(std.code).toBe(0);
    expect(
      JSON.parse(std.stdout).path[0].problems.map((p: { code: string; severity: string }) => [
        p.code,
        p.severity,
      ]),
    ).toEqual([["REVOCATION_UNKNOWN", "warning"]]);
    const exch = await cli([...args, "--profile", "exchange"], { env });
    expect(exch.code).toBe(1);
    expect(JSON.parse(exch.stdout).problems.map((p: { code: string }) => p.code)).toEqual([
      "REVOCATION_UNKNOWN",
    ]);
  });
});
