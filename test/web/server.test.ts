/**
 * `smimetrust serve` over real HTTP on 127.0.0.1 (no browser): the JSON API gives the commands' --json
 * documents, Try it builds the same bytes as `build`, the token and Host rules hold, hostile text is escaped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/web/server.js";
import { cli, REPO_ROOT, spawnCli, spawnServing, TSX_LOADER } from "../helpers/cli.js";
import { issue, root } from "../helpers/pki.js";
import { EX, type Fixture, LIST_IN_USE, makeFixture } from "./fixture.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON documents compared field by field
type J = any;
let f: Fixture;
let base: string;
const NOW = Date.now();

beforeAll(async () => {
  f = await makeFixture(NOW);
  base = f.server.url.replace(/\/$/, "");
}, 60_000);
afterAll(async () => {
  await f?.cleanup();
});

function form(
  files: { name: string; bytes: Uint8Array | string }[],
  fields: Record<string, string> = {},
): FormData {
  const fd = new FormData();
  for (const x of files)
    fd.append("file", new Blob([typeof x.bytes === "string" ? x.bytes : Uint8Array.from(x.bytes)]), x.name);
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return fd;
}

describe("serve: pages and the JSON API", () => {
  it("serves every page and the assets from 127.0.0.1, with a strict content security policy", async () => {
    for (const p of ["/", "/inventory", "/expiry", "/chain", "/findings", "/history", "/try"]) {
      const r = await fetch(base + p);
      expect(r.status, p).toBe(200);
      expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
      const t = await r.text();
      expect(t).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    }
    for (const a of ["/assets/app.css", "/assets/app.js", "/assets/theme.js", "/assets/icon.svg"])
      expect((await fetch(base + a)).status, a).toBe(200);
  });

  it("GET /api/check is `check --json` on the same list", async () => {
    const api = (await (await fetch(`${base}/api/check`)).json()) as J;
    const r = await cli(
      [
        "check",
        ...LIST_IN_USE,
        join(f.dir, "woodgrove-interim-ca.pem"),
        "--json",
        "--leaf",
        EX("mail/users"),
      ],
      { now: NOW },
    );
    const doc = JSON.parse(r.stdout);
    expect(api).toEqual(doc);
    expect(api.findings.map((x: { code: string }) => x.code)).toContain("TRUST_EXPIRING");
  });

  it("GET /api/diff is `diff --json` of the list in use and the pending one, with the users it breaks", async () => {
    const api = (await (await fetch(`${base}/api/diff`)).json()) as J;
    const oldDir = join(f.dir, "old");
    const newDir = join(f.dir, "new");
    const { mkdirSync, copyFileSync } = await import("node:fs");
    mkdirSync(oldDir);
    mkdirSync(newDir);
    for (const p of [...LIST_IN_USE, join(f.dir, "woodgrove-interim-ca.pem")])
      copyFileSync(p, join(oldDir, p.split("/").pop()!));
    for (const p of f.pending) copyFileSync(p, join(newDir, p.split("/").pop()!));
    const r = await cli(["diff", oldDir, newDir, "--json", "--leaf", EX("mail/users")], { now: NOW });
    const doc = JSON.parse(r.stdout);
    const sortBy = (a: { sha1: string }[]) => [...a].sort((x, y) => (x.sha1 < y.sha1 ? -1 : 1));
    expect(sortBy(api.removed)).toEqual(sortBy(doc.removed));
    expect(api.breaks).toBe(true);
    expect(doc.breaks).toBe(true);
    expect(api.leaves.filter((l: { broken: boolean }) => l.broken).length).toBe(3);
  });

  it("POST /api/build.sst returns the bytes `smimetrust build` writes from the same files; /api/build its --json", async () => {
    const files = LIST_IN_USE.slice(0, 4);
    const out = join(f.dir, "cli.sst");
    const r = await cli(["build", ...files, "-o", out, "--json"], { now: NOW });
    expect(r.code).toBe(0);
    const fd = () => form(files.map((p) => ({ name: p.split("/").pop()!, bytes: readFileSync(p) })));
    const sst = new Uint8Array(
      await (await fetch(`${base}/api/build.sst`, { method: "POST", body: fd() })).arrayBuffer(),
    );
    expect(Buffer.from(sst).equals(readFileSync(out))).toBe(true);
    const api = (await (await fetch(`${base}/api/build`, { method: "POST", body: fd() })).json()) as J;
    const doc = JSON.parse(r.stdout);
    expect({ ...api, file: doc.file, backup: doc.backup }).toEqual(doc);
  });

  it("Try it refuses what build refuses (an expired CA), with build's error code", async () => {
    const old = root("CN=Old Expired CA", { notBefore: NOW - 900 * 86_400_000, notAfter: NOW - 86_400_000 });
    const r = await fetch(`${base}/api/build`, {
      method: "POST",
      body: form([{ name: "old.pem", bytes: old.pem }]),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as J).error.code).toBe("ERR_EXPIRED_IN_LIST");
    const page = await fetch(`${base}/try/build`, {
      method: "POST",
      body: form([{ name: "old.pem", bytes: old.pem }]),
    });
    expect(await page.text()).toContain("ERR_EXPIRED_IN_LIST");
    const ok = await fetch(`${base}/api/build`, {
      method: "POST",
      body: form(
        [
          { name: "old.pem", bytes: old.pem },
          { name: "c.pem", bytes: readFileSync(LIST_IN_USE[0]) },
        ],
        { dropExpired: "1" },
      ),
    });
    expect(((await ok.json()) as J).leftOut.expired).toEqual([old.cert.sha1]);
  });

  it("POST /api/verify is `verify --json` for the same message and trust list", async () => {
    const msg = readFileSync(EX("mail/tampered.eml"));
    const api = (await (
      await fetch(`${base}/api/verify`, {
        method: "POST",
        body: form([{ name: "tampered.eml", bytes: msg }]),
      })
    ).json()) as J;
    const r = await cli(
      ["verify", EX("mail/tampered.eml"), "--trust", EX("mail/ca"), "--json", "--jobs", "1"],
      { now: NOW },
    );
    const doc = JSON.parse(r.stdout);
    expect(api[0].verdict).toBe("invalid");
    expect({ ...api[0], file: doc[0].file }).toEqual(doc[0]);
    const codes = [api[0], ...api[0].signers].flatMap((x: { problems: { code: string }[] }) =>
      x.problems.map((p) => p.code),
    );
    expect(codes).toContain("DIGEST_MISMATCH");
  });

  it("inventory CSV and JSON export the filtered, sorted view", async () => {
    const j = (await (
      await fetch(`${base}/api/inventory.json?q=northwind&sort=subject&dir=desc`)
    ).json()) as J;
    expect(j.certificates.map((c: { subject: string }) => c.subject)).toEqual(
      [
        "CN=Northwind Root CA, O=Northwind Traders, C=US",
        "CN=Northwind Issuing CA, O=Northwind Traders, C=US",
      ]
        .sort()
        .reverse(),
    );
    const csv = await (await fetch(`${base}/api/inventory.csv?within=30`)).text();
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("subject,issuer,role,sha1,sha256,notAfter,daysLeft,key,eku,scope");
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain("Woodgrove Interim CA");
    expect(lines[1]).toContain(",19,");
  });

  it("History shows the monitor's runs, what changed between them and the pending list's breakage", async () => {
    const t = await (await fetch(`${base}/history`)).text();
    expect(t).toContain("Run 1 → run 2");
    expect(t).toMatch(/1 appeared<\/span>/);
    expect(t).toContain("TRUST_EXPIRING");
    expect(t).toMatch(/3 broken<\/span> of 3/);
    const h = (await (await fetch(`${base}/api/history`)).json()) as J;
    expect(h.runs.map((r: { id: number; status: string }) => [r.id, r.status])).toEqual([
      [2, "findings"],
      [1, "ok"],
    ]);
    const same = await (await fetch(`${base}/history?from=2&to=2`)).text();
    expect(same).toContain("The two runs found the same things.");
  });

  it("shows the stale banner when no run finished within two schedule periods", async () => {
    expect(await (await fetch(`${base}/`)).text()).not.toContain('class="banner"');
    const later = await startServer({ ...f.opts, now: () => NOW + 3 * 86_400_000 });
    try {
      const t = await (await fetch(later.url)).text();
      expect(t).toContain('class="banner"');
      expect(t).toContain("has not run for two schedule periods (0 7 * * *)");
    } finally {
      await later.close();
    }
  });

  it("refuses uploads over 16 MB with 413, whether or not the size is announced", async () => {
    const big = new Uint8Array(17 * 1024 * 1024);
    const r = await fetch(`${base}/api/build`, {
      method: "POST",
      body: form([{ name: "big.pem", bytes: big }]),
    });
    expect(r.status).toBe(413);
    expect(((await r.json()) as J).error.code).toBe("ERR_LIMIT_EXCEEDED");
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 17; i++) c.enqueue(new Uint8Array(1024 * 1024));
        c.close();
      },
    });
    const chunked = await fetch(`${base}/api/verify`, {
      method: "POST",
      body: stream,
      headers: { "content-type": "multipart/form-data; boundary=x" },
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("a port in use or a trust list that cannot be read is one clear error, before anything listens", async () => {
    await expect(startServer({ ...f.opts, port: f.server.port })).rejects.toThrow(
      new RegExp(`^--port ${f.server.port}: already in use on 127\\.0\\.0\\.1`),
    );
    const bad = join(f.dir, "truncated.pem");
    writeFileSync(bad, "-----BEGIN CERTIFICATE-----\nMIIB\n");
    const r = spawnCli(["serve", "--port", "0", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("truncated.pem");
  });

  it("a body that is not a form is a 400 with a clear message, not an internal error", async () => {
    const r = await fetch(`${base}/api/verify`, {
      method: "POST",
      body: "hello",
      headers: { "content-type": "text/plain" },
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as J).error.message).toMatch(/not a form/);
    const empty = await fetch(`${base}/api/build`, { method: "POST", body: new FormData() });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as J).error.code).toBe("ERR_USAGE");
  });

  it("builds from pasted PEM text too", async () => {
    const fd = new FormData();
    fd.append("text", readFileSync(LIST_IN_USE[0], "utf8"));
    const api = (await (await fetch(`${base}/api/build`, { method: "POST", body: fd })).json()) as J;
    expect(api.certificates.map((c: { subject: string }) => c.subject)).toEqual([
      "CN=Contoso Root CA, O=Contoso Ltd, C=US",
    ]);
  });

  it("refuses a Host header that is not loopback (DNS rebinding)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(base);
      request({ host: u.hostname, port: u.port, path: "/", headers: { host: "attacker.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    expect(status).toBe(421);
  });
});

describe("serve: hostile certificate text and tokens", () => {
  it("escapes a certificate subject made of HTML and bidi controls on every page it appears", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-hostile-"));
    try {
      const evil = issue({
        subject: [["CN", '<script>alert(1)</script>"\u202e<img src=x onerror=alert(2)>']],
        ca: true,
      });
      writeFileSync(join(dir, "evil.pem"), evil.pem);
      const s = await startServer({
        inputs: [join(dir, "evil.pem")],
        host: "127.0.0.1",
        port: 0,
        version: "t",
        now: () => NOW,
      });
      try {
        for (const p of ["/inventory", "/chain", "/findings"]) {
          const t = await (await fetch(s.url + p.slice(1))).text();
          expect(t, p).not.toContain("<script>alert");
          expect(t, p).not.toContain("<img src=x");
          expect(t, p).not.toContain("\u202e");
        }
        const inv = await (await fetch(`${s.url}inventory`)).text();
        expect(inv).toContain("&lt;script\\&gt;alert(1)");
        expect(inv).toContain("\\u202e");
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a host other than loopback needs a token; then every request carries it", async () => {
    await expect(
      startServer({ inputs: [LIST_IN_USE[0]], host: "0.0.0.0", port: 0, version: "t", now: () => NOW }),
    ).rejects.toThrow(/--token/);
    const token = "0123456789abcdef0123";
    const s = await startServer({
      inputs: [LIST_IN_USE[0]],
      host: "0.0.0.0",
      port: 0,
      version: "t",
      now: () => NOW,
      token,
    });
    try {
      expect(s.notes.join("\n")).toMatch(/every request needs the token/);
      const u = `http://127.0.0.1:${s.port}`;
      expect((await fetch(`${u}/`)).status).toBe(401);
      expect(
        (await fetch(`${u}/api/check`, { headers: { authorization: "Bearer wrong-token-wrong-token" } }))
          .status,
      ).toBe(401);
      expect((await fetch(`${u}/api/check`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        200,
      );
      const r = await fetch(`${u}/inventory?token=${token}&q=contoso`, { redirect: "manual" });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/inventory?q=contoso");
      const cookie = r.headers.get("set-cookie")!.split(";")[0];
      expect(cookie).toMatch(/HttpOnly/i.test(r.headers.get("set-cookie")!) ? /^smimetrust_token=/ : /^$/);
      expect((await fetch(`${u}/inventory?q=contoso`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("the CLI serves until SIGTERM, then exits 0", async () => {
    const s = await spawnServing([
      "--import",
      TSX_LOADER,
      join(REPO_ROOT, "src/cli/main.ts"),
      "serve",
      "--port",
      "0",
      EX("certs"),
    ]);
    expect(s.stderr).toContain("reachable from this machine only (127.0.0.1)");
    expect((await fetch(`${s.url}api/check`)).status).toBe(200);
    expect(await s.stop()).toBe(0);
  }, 60_000);

  it("the CLI refuses a non-loopback --host without a token: one line, exit 2", () => {
    const r = spawnCli(["serve", "--host", "0.0.0.0", "--port", "0", EX("certs/contoso-root-ca.pem")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^smimetrust: --host 0\.0\.0\.0 is not loopback: give --token/);
  });
});
