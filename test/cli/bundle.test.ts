/**
 * The installed `smimetrust` is one bundled file (scripts/bundle.mjs, `npm run build`), while the other tests run
 * the sources. This test bundles the current sources the same way and runs the bundle where code is found at
 * run time: the verify worker threads, the CommonJS Outlook readers, the native SQLite module, the monitor's
 * JSON schema, the Exchange script templates, the dashboard's server. Each answer must be the sources' answer.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, without types
import { bundle } from "../../scripts/bundle.mjs";
import { CLI_NODE_FLAGS, type CliResult, REPO_ROOT, spawnCli, spawnServing } from "../helpers/cli.js";
import { emlCopies, OUTLOOK_FX as FX, OUTLOOK_TRUST_ARGS } from "../helpers/outlook-fixtures.js";
import { tempFolder } from "../helpers/temp.js";

// Inside the repository, so that the modules left outside the bundle load from its node_modules.
const out = path.join(REPO_ROOT, "node_modules/.cache", `smimetrust-bundle-test-${process.pid}`);
const entry = path.join(out, "smimetrust.js");
const t = tempFolder("smimetrust-bundle-");
const tp = (name: string) => path.join(t.dir, name);
const EX = (p: string) => path.join(REPO_ROOT, "examples", p);

function runBundle(args: string[], cwd = REPO_ROOT, nodeArgs: string[] = []): CliResult {
  const r = spawnSync(process.execPath, [...CLI_NODE_FLAGS, ...nodeArgs, entry, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let bundled: { name: string; version: string; license: string }[] = [];
beforeAll(async () => {
  bundled = await bundle(out);
}, 60_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the bundled CLI", () => {
  it("starts with the first line's node flags, and answers --version and --help as the sources do", () => {
    expect(readFileSync(entry, "utf8").split("\n", 1)[0]).toBe(
      `#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(" ")}`,
    );
    for (const args of [["--version"], ["--help"], ["verify", "--help"]]) {
      const b = runBundle(args);
      expect(b.code, args.join(" ")).toBe(0);
      expect(b.stdout).toBe(spawnCli(args).stdout);
    }
  });

  it("carries the licence of every package whose code it holds", () => {
    const names = bundled.map((p) => p.name);
    for (const dep of ["commander", "hono", "ajv"]) expect(names).toContain(dep);
    const text = readFileSync(path.join(out, "smimetrust.licenses.txt"), "utf8");
    for (const p of bundled) expect(text).toContain(`${p.name} ${p.version} (${p.license})`);
    expect(text).not.toMatch(/No licence file in the package/);
    expect(text.match(/^-{72}$/gm)).toHaveLength(bundled.length);
    expect(readFileSync(entry, "utf8").split("\n", 2)[1]).toMatch(/smimetrust\.licenses\.txt/);
  });

  it("build writes the same .sst bytes", () => {
    const b = runBundle(["build", EX("certs"), "-o", tp("bundle.sst")]);
    const s = spawnCli(["build", EX("certs"), "-o", tp("sources.sst")]);
    expect(b.code).toBe(0);
    expect(s.code).toBe(0);
    expect(readFileSync(tp("bundle.sst")).equals(readFileSync(tp("sources.sst")))).toBe(true);
  });

  it("verify --jobs 2 of .eml, .msg and a PST: worker threads and the Outlook readers give the sources' results", () => {
    const names = ["rsa-clear-signed", "p256-opaque-signed", "tampered", "untrusted-root", "unsigned"];
    const args = [
      "verify",
      ...names.map((n) => FX(`eml/${n}.eml`)),
      ...names.map((n) => FX(`msg/${n}.msg`)),
      FX("archive.pst"),
      "--trust",
      FX("trust"),
      "--crl",
      FX("crls"),
      "--jobs",
      "2",
      "--jsonl",
      "-",
    ];
    const b = runBundle(args);
    const s = spawnCli(args);
    expect(b.stderr).toBe(s.stderr);
    expect(b.code).toBe(1);
    // Five .eml, five .msg and the PST's three signed items (its unsigned one is counted and skipped).
    const rows = b.stdout.trim().split("\n");
    expect(rows).toHaveLength(13);
    expect(rows.filter((l) => l.includes('"verdict":"valid"')).length).toBeGreaterThanOrEqual(4);
    expect(b.stdout).toBe(s.stdout);
  });

  it("verify --jobs 2 of 3,000 messages: the bundled worker thread verifies as one thread of the sources does", () => {
    // Enough messages that the worker (its own chunk of the bundle) verifies most of them: the main thread
    // verifies alone only until the worker is ready.
    const mail = tp("many");
    emlCopies(mail, ["rsa-clear-signed", "p256-opaque-signed", "tampered", "untrusted-root"], 3000);
    const args = (jobs: string) => ["verify", mail, ...OUTLOOK_TRUST_ARGS, "--jobs", jobs];
    const b = runBundle([...args("2"), "--jsonl", "-"]);
    const s = spawnCli([...args("1"), "--jsonl", "-"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^3000 messages: 1500 valid, 1500 invalid, 0 unreadable$/m);
    expect(b.stdout.trim().split("\n")).toHaveLength(3000);
    expect(b.stdout).toBe(s.stdout);
    // Text output: each line laid out from the facts the worker sends.
    expect(runBundle(args("2")).stdout).toBe(spawnCli(args("1")).stdout);
  });

  it("verify loads only what it uses: no HTTP client (http, https, tls) or worker threads for --jobs 1 offline", () => {
    // The modules Node loaded, written to stderr as the process exits.
    const report =
      "data:text/javascript,process.on('exit',()=>process.stderr.write('\\nLOADED '+process.moduleLoadList.join(',')+'\\n'))";
    const args = [
      "verify",
      FX("eml/rsa-clear-signed.eml"),
      "--trust",
      FX("trust"),
      "--crl",
      FX("crls"),
      "--jobs",
      "1",
    ];
    const b = runBundle(args, REPO_ROOT, ["--import", report]);
    expect(b.code).toBe(0);
    const loaded = (/^LOADED (.*)$/m.exec(b.stderr)?.[1] ?? "").split(",");
    expect(loaded).toContain("NativeModule crypto");
    for (const m of ["http", "https", "tls", "worker_threads"])
      expect(loaded).not.toContain(`NativeModule ${m}`);
    // The same run online loads the HTTP client (nothing is fetched: the message carries its chain).
    const online = runBundle([...args, "--online"], REPO_ROOT, ["--import", report]);
    expect(online.code).toBe(0);
    expect((/^LOADED (.*)$/m.exec(online.stderr)?.[1] ?? "").split(",")).toContain("NativeModule tls");
  });

  it("a damaged .msg: one line, exit 2, as from the sources", () => {
    const args = ["verify", FX("damaged/stream-size.msg"), "--trust", FX("trust")];
    const b = runBundle(args);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe(spawnCli(args).stderr);
    expect(b.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("monitor --once: the schema is found and the SQLite database written", () => {
    const dir = tp("monitor");
    mkdirSync(dir, { recursive: true });
    const config = JSON.parse(readFileSync(EX("monitor.json"), "utf8"));
    delete config.$schema;
    config.trustLists[0].path = config.trustLists[0].path.map((p: string) => EX(p));
    config.userCertificates[0].path = EX(config.userCertificates[0].path);
    writeFileSync(path.join(dir, "monitor.json"), JSON.stringify(config));
    const b = runBundle(["monitor", "--config", path.join(dir, "monitor.json"), "--once"]);
    expect(`${b.stdout}${b.stderr}`).toMatch(/^run 1: \d+ findings/m);
    expect(b.code).toBe(0);
    expect(readFileSync(path.join(dir, "monitor.sqlite")).subarray(0, 15).toString()).toBe("SQLite format 3");
    // A config that breaks the schema is refused with the schema's words, as from the sources.
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ ...config, schedule: 7 }));
    const bad = runBundle(["monitor", "--config", path.join(dir, "bad.json"), "--once"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(spawnCli(["monitor", "--config", path.join(dir, "bad.json"), "--once"]).stderr);
  });

  it("exchange script writes the same PowerShell", () => {
    // Each in a folder of its own: the script names the .sst beside it.
    const dir = tp("exchange");
    for (const d of ["bundle", "sources"]) mkdirSync(path.join(dir, d), { recursive: true });
    const args = (o: string) => [
      "exchange",
      "script",
      "--config",
      EX("smime.config.json"),
      "-o",
      path.join(dir, o),
      "--upn",
      "admin@contoso.com",
    ];
    const b = runBundle(args("bundle/apply.ps1"));
    const s = spawnCli(args("sources/apply.ps1"));
    expect(b.code).toBe(0);
    expect(s.code).toBe(0);
    // The moment each was generated, to the second, is all that may differ.
    const text = (f: string) =>
      readFileSync(path.join(dir, f), "utf8").replace(
        /(Generated by smimetrust \S+ at |\$GeneratedAt = ')\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g,
        "$1<time>",
      );
    expect(text("bundle/apply.ps1")).toContain("Set-SmimeConfig");
    expect(text("bundle/apply.ps1")).toBe(text("sources/apply.ps1"));
  });

  it("serve answers over HTTP and stops on SIGTERM with exit 0", async () => {
    const s = await spawnServing([...CLI_NODE_FLAGS, entry, "serve", "--port", "0", EX("certs")]);
    const page = await fetch(`${s.url}inventory`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Contoso");
    expect(await s.stop()).toBe(0);
  });
});
