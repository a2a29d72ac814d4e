/**
 * Issue 9, "No silent partial results": a folder holding a file that cannot be read (a PFX without its
 * password, a truncated PEM or .cer) stops every command that builds a trust list (exit 2, nothing written,
 * one line per file); --skip-unreadable leaves such files out and the summary and --json name them. Files that
 * are plainly not certificates (a README) are still skipped with a note.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../certs/openssl.js";
import { cli, REPO_ROOT, spawnCli } from "../helpers/cli.js";
import { intermediate, leaf, root } from "../helpers/pki.js";
import { smimeMessage } from "../helpers/smime.js";

const NOW = Date.UTC(2026, 5, 1);
const t = tempDir("smimetrust-failclosed-");
afterAll(() => t.cleanup());

const r = root("CN=Closed Root,O=Test", { now: NOW });
const ica = intermediate("CN=Closed Issuing CA,O=Test", r, { now: NOW });
const other = root("CN=Other Root,O=Test", { now: NOW });
const alice = leaf("alice@contoso.com", ica, { now: NOW });

/** A trust folder: two good files, a PFX without its password, a truncated PEM and a truncated .cer, a README. */
function trustFolder(name: string): string {
  const d = t.path(name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "root.pem"), r.pem);
  writeFileSync(join(d, "issuing.cer"), ica.der);
  copyFileSync(resolve(REPO_ROOT, "test/fixtures/pfx/windows-3des.pfx"), join(d, "needs-password.pfx"));
  writeFileSync(join(d, "truncated.pem"), other.pem.slice(0, 200));
  writeFileSync(join(d, "truncated.cer"), other.der.subarray(0, 150));
  writeFileSync(join(d, "README.txt"), "Trust list sources, kept by the PKI team.\n");
  return d;
}

const UNREADABLE = ["needs-password.pfx", "truncated.cer", "truncated.pem"];

/** stderr names each unreadable file on its own line (with the offset of a truncated PEM), then the count. */
function expectNamed(stderr: string): void {
  const lines = stderr.trim().split("\n");
  const failing = lines.filter((l) => l.startsWith("smimetrust: "));
  expect(failing).toHaveLength(4);
  expect(failing[0]).toMatch(/needs-password\.pfx: this PKCS#12 file needs a password/);
  expect(failing[1]).toMatch(/truncated\.cer: malformed DER: .* \(at byte \d+\)$/);
  expect(failing[2]).toMatch(/truncated\.pem: PEM block without a matching END line \(at byte \d+\)$/);
  expect(failing[3]).toMatch(
    /^smimetrust: 3 files in the input folders could not be read.*--skip-unreadable/,
  );
  expect(stderr).not.toMatch(/README/);
}

describe("folders with unreadable files fail closed", () => {
  it("build: exit 2, nothing written, each file named; --skip-unreadable writes and names them", async () => {
    const d = trustFolder("build");
    const out = t.path("build.sst");
    const res = await cli(["build", d, "-o", out], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expectNamed(res.stderr);
    expect(existsSync(out)).toBe(false);

    const json = await cli(["build", d, "-o", out, "--json"], { now: NOW });
    expect(json.code).toBe(2);
    const err = JSON.parse(json.stdout).error;
    expect(err.code).toBe("ERR_UNREADABLE_FILES");
    expect(err.files.map((f: { file: string }) => f.file.split("/").pop())).toEqual(UNREADABLE);
    expect(err.files[2].offset).toBe(0);
    expect(existsSync(out)).toBe(false);

    const skip = await cli(["build", d, "-o", out, "--skip-unreadable"], { now: NOW });
    expect(skip.code).toBe(0);
    expect(skip.stdout).toMatch(
      /skipped: +3 unreadable files \(.*needs-password\.pfx, .*truncated\.cer, .*truncated\.pem\)/,
    );
    expect(skip.stderr).toMatch(/warning: skipped .*README\.txt: not a certificate container/);
    expect(existsSync(out)).toBe(true);

    const skipJson = await cli(["build", d, "-o", t.path("build2.sst"), "--skip-unreadable", "--json"], {
      now: NOW,
    });
    expect(skipJson.code).toBe(0);
    const doc = JSON.parse(skipJson.stdout);
    expect(doc.certificates).toHaveLength(2);
    expect(doc.skipped.map((s: { file: string }) => s.file.split("/").pop())).toEqual(UNREADABLE);
    expect(doc.skipped[0].error).toMatch(/needs a password/);
  });

  it("build, spawned: the real exit status and no partial output file", () => {
    const d = trustFolder("spawned");
    const out = t.path("spawned.sst");
    const res = spawnCli(["build", d, "-o", out]);
    expect(res.code).toBe(2);
    expectNamed(res.stderr);
    expect(existsSync(out)).toBe(false);
  });

  it("a folder with only a README and certificates is built as before (the README is a note)", async () => {
    const d = t.path("clean");
    mkdirSync(d);
    writeFileSync(join(d, "root.pem"), r.pem);
    writeFileSync(join(d, "README.md"), "# notes\n");
    // Prose whose first byte happens to be '0' (the DER SEQUENCE tag) is still prose, not a broken certificate.
    writeFileSync(join(d, "CHANGES.txt"), "0.1 first list: the root only\n");
    const res = await cli(["build", d, "-o", t.path("clean.sst")], { now: NOW });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: skipped .*README\.md: not a certificate container/);
    expect(res.stderr).toMatch(/warning: skipped .*CHANGES\.txt: /);
    // A base64 certificate cut short is not prose: it stops the build.
    writeFileSync(join(d, "cut.cer"), Buffer.from(other.der).toString("base64").slice(0, 300));
    const cut = await cli(["build", d, "-o", t.path("clean2.sst")], { now: NOW });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/^smimetrust: .*cut\.cer: /m);
    expect(res.stdout).not.toMatch(/skipped:/);
  });

  it("check: exit 2 naming the files; --skip-unreadable counts and names them in the summary and --json", async () => {
    const d = trustFolder("check");
    const res = await cli(["check", d], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expectNamed(res.stderr);
    const skip = await cli(["check", d, "--skip-unreadable"], { now: NOW });
    expect(skip.code).toBe(0);
    expect(skip.stderr).toMatch(/^2 certificates, .*; skipped 3 unreadable files \(/m);
    const json = JSON.parse((await cli(["check", d, "--skip-unreadable", "--json"], { now: NOW })).stdout);
    expect(json.skipped).toHaveLength(3);
    expect(json.certificates).toHaveLength(2);
  });

  it("diff: either side with an unreadable file stops the comparison", async () => {
    const d = trustFolder("diff");
    const old = t.path("old.pem");
    writeFileSync(old, r.pem);
    const res = await cli(["diff", old, d], { now: NOW });
    expect(res.code).toBe(2);
    expectNamed(res.stderr);
    const skip = await cli(["diff", old, d, "--skip-unreadable", "--json"], { now: NOW });
    expect(skip.code).toBe(0);
    const doc = JSON.parse(skip.stdout);
    expect(doc.added).toHaveLength(1);
    expect(doc.skipped).toHaveLength(3);
    const text = await cli(["diff", old, d, "--skip-unreadable"], { now: NOW });
    expect(text.stdout).toMatch(/1 added, .*; skipped 3 unreadable files/);
  });

  it("exchange script and plan: the trust folders of smime.config.json fail closed too", async () => {
    const d = trustFolder("exchange");
    const config = t.path("smime.config.json");
    writeFileSync(config, JSON.stringify({ trust: [d], settings: {} }));
    const out = t.path("apply.ps1");
    const res = await cli(["exchange", "script", "--config", config, "-o", out], { now: NOW });
    expect(res.code).toBe(2);
    expectNamed(res.stderr);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(t.path("apply.sst"))).toBe(false);
    const skip = await cli(
      ["exchange", "script", "--config", config, "-o", out, "--skip-unreadable", "--json"],
      { now: NOW },
    );
    expect(skip.code).toBe(0);
    const doc = JSON.parse(skip.stdout);
    expect(doc.trustList.certificates).toBe(2);
    expect(doc.skipped).toHaveLength(3);

    const current = t.path("export.json");
    writeFileSync(current, JSON.stringify({ SMIMECertificateIssuingCA: null }));
    const plan = await cli(["exchange", "plan", "--current", current, "--config", config], { now: NOW });
    expect(plan.code).toBe(2);
    expectNamed(plan.stderr);
    const planSkip = await cli(
      ["exchange", "plan", "--current", current, "--config", config, "--skip-unreadable", "--json"],
      { now: NOW },
    );
    expect(JSON.parse(planSkip.stdout).skipped).toHaveLength(3);
  });

  it("chain --trust and verify --trust: a trust folder with an unreadable file stops the run", async () => {
    const d = trustFolder("validate");
    const alicePem = t.path("alice.pem");
    writeFileSync(alicePem, alice.pem);
    const at = new Date(NOW).toISOString();
    const chain = await cli(["chain", alicePem, "--trust", d, "--at", at], { now: NOW });
    expect(chain.code).toBe(2);
    expectNamed(chain.stderr);
    const chainSkip = await cli(
      ["chain", alicePem, "--trust", d, "--at", at, "--skip-unreadable", "--json"],
      {
        now: NOW,
      },
    );
    expect(chainSkip.code).toBe(0);
    expect(JSON.parse(chainSkip.stdout).skipped).toHaveLength(3);

    const msg = t.path("signed.eml");
    writeFileSync(
      msg,
      smimeMessage({ from: "alice@contoso.com", signers: [{ signer: alice }], certs: [alice.der, ica.der] }),
    );
    const verify = await cli(["verify", msg, "--trust", d, "--at", at], { now: NOW });
    expect(verify.code).toBe(2);
    expectNamed(verify.stderr);
    const verifySkip = await cli(["verify", msg, "--trust", d, "--at", at, "--skip-unreadable"], {
      now: NOW,
    });
    expect(verifySkip.stderr).toMatch(/^skipped 3 unreadable files \(/m);
    expect(verifySkip.stdout).toMatch(/^[!✓] valid /);
  });

  it("inspect still lists what it can read and names the unreadable files in its summary", async () => {
    const d = trustFolder("inspect");
    const res = await cli(["inspect", d], { now: NOW });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^2 certificates; skipped 3 unreadable files \(/m);
  });

  it("many unreadable files: the first 10 are named, the rest counted; --json lists them all", async () => {
    const d = t.path("many");
    mkdirSync(d);
    writeFileSync(join(d, "root.pem"), r.pem);
    for (let i = 0; i < 25; i++)
      writeFileSync(join(d, `bad-${String(i).padStart(2, "0")}.pem`), other.pem.slice(0, 100));
    const res = await cli(["build", d, "-o", t.path("many.sst"), "--json"], { now: NOW });
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(12);
    expect(lines[10]).toBe("smimetrust: ... and 15 more unreadable files");
    expect(JSON.parse(res.stdout).error.files).toHaveLength(25);
  });

  it("a file named directly is still one line and exit 2 (not a folder listing)", async () => {
    const bad = t.path("direct.pem");
    writeFileSync(bad, other.pem.slice(0, 200));
    const res = await cli(["build", bad, "-o", t.path("direct.sst")], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(bad, "utf8")).toBe(other.pem.slice(0, 200));
  });
});
