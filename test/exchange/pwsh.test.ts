/**
 * The generated PowerShell, run for real: PowerShell 7 (pwsh) executes every script variant against a
 * stand-in of Exchange Online (test/exchange/stand-in, a module named ExchangeOnlineManagement put first on
 * PSModulePath here only). The stand-in keeps the tenant's configuration in a JSON file and logs every call.
 * Windows PowerShell 5.1 cannot run here: every script is parsed with PowerShell's own parser instead and
 * its syntax tree searched for what 5.1 lacks.
 *
 * pwsh is looked for on PATH and at ~/.dotnet/tools/pwsh. Without it these tests are skipped with the
 * reason in their names, except when CI is set: then a test fails, so CI can never pass them silently.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateApplyScript, generateExportScript, readTemplate } from "../../src/exchange/script.js";
import { createSst } from "../../src/formats/sst.js";
import { intermediate, issue, root } from "../helpers/pki.js";
import { cli, REPO, tmp, write } from "./helpers.js";

const STAND_IN = join(REPO, "test/exchange/stand-in");

function findPwsh(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, "pwsh");
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  const tool = join(homedir(), ".dotnet/tools/pwsh");
  return existsSync(tool) ? tool : undefined;
}

const PWSH = findPwsh();
const SKIP = PWSH ? "" : " (SKIPPED: pwsh not found on PATH or at ~/.dotnet/tools/pwsh; see .ci/run)";

describe("PowerShell for the script tests", () => {
  it(PWSH ? `is found at ${PWSH}` : `is missing${SKIP}`, () => {
    if (!PWSH && process.env.CI)
      expect.fail("CI is set but pwsh is not on PATH or at ~/.dotnet/tools/pwsh: .ci/run must install it");
    if (!PWSH) console.warn(`test/exchange/pwsh.test.ts${SKIP}`);
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  log: {
    call: string;
    params: Record<
      string,
      { type?: string; value?: unknown; bytes?: number; sha256?: string } | boolean | null
    >;
  }[];
}

interface Tenant {
  dir: string;
  state: string;
  logFile: string;
}

function tenant(dir = tmp("smimetrust-pwsh-")): Tenant {
  return { dir, state: join(dir, "tenant-state.json"), logFile: join(dir, "calls.jsonl") };
}

/** Runs a script (or -Command text) under pwsh against the stand-in; the call log is per run. */
function pwsh(t: Tenant, args: string[], env: Record<string, string> = {}, cwd = t.dir): Promise<Run> {
  writeFileSync(t.logFile, "");
  const child = spawn(PWSH!, ["-NoProfile", "-NonInteractive", ...args], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The stand-in first; nothing of the machine's own module folders is needed.
      PSModulePath: STAND_IN,
      POWERSHELL_TELEMETRY_OPTOUT: "1",
      POWERSHELL_UPDATECHECK: "Off",
      DOTNET_CLI_TELEMETRY_OPTOUT: "1",
      TERM: "dumb",
      NO_COLOR: "1",
      SMIMETRUST_STANDIN_STATE: t.state,
      SMIMETRUST_STANDIN_LOG: t.logFile,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const log = readFileSync(t.logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      resolve({ code: code ?? -1, stdout, stderr, log });
    });
  });
}

function runScript(
  t: Tenant,
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Run> {
  return pwsh(t, ["-File", script, ...args], env);
}

/** pwsh's error view wraps a message over lines that start with "|": the message as one line. */
const flat = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.replace(/^\s*\|\s?/, "").trim())
    .join(" ");

interface State {
  Config: Record<string, unknown>;
  TrustList: string | null;
  ExpiryDate: string | null;
  ExpiryThumbprint: string;
}

function state(t: Tenant): State {
  return JSON.parse(readFileSync(t.state, "utf8").replace(/^\uFEFF/, ""));
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex").toUpperCase();
const calls = (r: Run) => r.log.map((l) => l.call);
const backups = (dir: string) => readdirSync(dir).filter((f) => /^smime-backup-\d{8}-\d{6}\.json$/.test(f));
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const DAY = 86_400_000;
const SETTINGS = {
  OWASigningAlgorithms: "800C",
  OWACRLRetrievalTimeout: 20000,
  OWACheckCRLOnSend: true,
  OWABCCEncryptedEmailForking: 1,
  OWASenderCertificateAttributesToDisplay: "2.5.4.3",
  NoSignOnReply: false,
};
const APP = {
  appId: "0b5a1f3e-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
  thumbprint: "4F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C",
  organization: "contoso.onmicrosoft.com",
};

/** A desired state of real, currently valid CAs (the stand-in checks expiry against the real clock). */
function desired(
  dir: string,
  names: [string, string, string] = ["Stand-in Root CA", "Stand-in Issuing CA", "Other Root CA"],
) {
  const now = Date.now();
  const r = root(`CN=${names[0]}`, { notBefore: now - DAY, notAfter: now + 900 * DAY });
  const i = intermediate(`CN=${names[1]}`, r, { notBefore: now - DAY, notAfter: now + 400 * DAY });
  const o = root(`CN=${names[2]}`, { notBefore: now - DAY, notAfter: now + 700 * DAY });
  write(dir, "root.pem", r.pem);
  write(dir, "issuing.pem", i.pem);
  write(dir, "other.pem", o.pem);
  write(
    dir,
    "smime.config.json",
    JSON.stringify({ trust: ["root.pem", "issuing.pem", "other.pem"], settings: SETTINGS }),
  );
  return { root: r, issuing: i, other: o, config: join(dir, "smime.config.json") };
}

async function generate(args: string[]): Promise<void> {
  const r = await cli(args, Date.now());
  expect(r.code, r.stderr).toBe(0);
}

function expectSettings(s: State, settings: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(settings)) expect(s.Config[k], k).toEqual(v);
}

describe.skipIf(!PWSH)(
  `generated scripts under pwsh against the Exchange Online stand-in${SKIP}`,
  { timeout: 240_000 },
  () => {
    describe("apply (file variant, interactive), -WhatIf, second run, export, plan and rollback", () => {
      const t = tenant();
      let d: ReturnType<typeof desired>;
      let sst: Buffer;
      beforeAll(async () => {
        d = desired(t.dir);
        await generate([
          "exchange",
          "script",
          "--config",
          d.config,
          "-o",
          join(t.dir, "apply.ps1"),
          "--upn",
          "admin@contoso.com",
        ]);
        sst = readFileSync(join(t.dir, "apply.sst"));
      });

      it("-WhatIf connects, writes the backup, shows the changes and changes nothing", async () => {
        const r = await runScript(t, "./apply.ps1", ["-WhatIf"]);
        expect(r.code, r.stderr).toBe(0);
        expect(calls(r)).toEqual(["Connect-ExchangeOnline", "Get-SmimeConfig", "Disconnect-ExchangeOnline"]);
        expect(existsSync(t.state)).toBe(false); // the tenant was never written
        const [backup] = backups(t.dir);
        const saved = JSON.parse(readFileSync(join(t.dir, backup), "utf8"));
        expect(saved.SMIMECertificateIssuingCA).toBeNull();
        expect(saved.OWASigningAlgorithms).toBe("8004");
        expect(r.stdout).toContain(`Saved the current configuration to ${join(t.dir, backup)}`);
        expect(r.stdout).toContain(`SMIMECertificateIssuingCA: SHA-256 (no trust list) -> ${sha256(sst)}`);
        expect(r.stdout).toContain("OWASigningAlgorithms: '8004' -> '800C'");
        expect(r.stdout).toMatch(
          /What if: Performing the operation "Set-SmimeConfig \(.*SMIMECertificateIssuingCA\)"/,
        );
      });

      it("apply stores exactly the built .sst and every setting, typed, and disconnects last", async () => {
        const r = await runScript(t, "./apply.ps1");
        expect(r.code, r.stderr).toBe(0);
        expect(calls(r)).toEqual([
          "Connect-ExchangeOnline",
          "Get-SmimeConfig",
          "Set-SmimeConfig",
          "Get-SmimeConfig",
          "Disconnect-ExchangeOnline",
        ]);
        expect(r.log[0].params.UserPrincipalName).toEqual({ type: "String", value: "admin@contoso.com" });
        expect(r.log[0].params.AppId).toBeUndefined();
        const set = r.log[2].params;
        expect(set.SMIMECertificateIssuingCA).toEqual({ bytes: sst.length, sha256: sha256(sst) });
        expect(set.OWASigningAlgorithms).toEqual({ type: "String", value: "800C" });
        expect(set.OWACRLRetrievalTimeout).toEqual({ type: "UInt32", value: 20000 });
        expect(set.OWABCCEncryptedEmailForking).toEqual({ type: "UInt32", value: 1 });
        expect(set.OWACheckCRLOnSend).toEqual({ type: "Boolean", value: true });
        expect(set.NoSignOnReply).toEqual({ type: "Boolean", value: false });
        const s = state(t);
        expect(sha256(Buffer.from(s.TrustList!, "base64"))).toBe(sha256(sst));
        expectSettings(s, SETTINGS);
        // Exchange's own computation: the earliest NotAfter and that certificate's thumbprint.
        expect(s.ExpiryThumbprint).toBe(d.issuing.cert.sha1);
        expect(s.ExpiryDate).toBe(iso(d.issuing.cert.notAfter));
        expect(r.stdout).toContain(
          `SMIMEExpiredCertificateThumbprint (the certificate that expires first): '${d.issuing.cert.sha1}'`,
        );
        expect(r.stdout).toMatch(
          /Verified: NoSignOnReply, OWABCCEncryptedEmailForking, .*SMIMECertificateIssuingCA\./,
        );
        expect(r.stderr).toBe("");
      });

      it("a second run changes nothing and says so", async () => {
        const before = readFileSync(t.state, "utf8");
        const r = await runScript(t, "./apply.ps1");
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain("SMIMECertificateIssuingCA: already the desired trust list");
        expect(r.stdout).toContain("Nothing to change: Exchange Online already has this configuration.");
        expect(calls(r)).toEqual(["Connect-ExchangeOnline", "Get-SmimeConfig", "Disconnect-ExchangeOnline"]);
        expect(readFileSync(t.state, "utf8")).toBe(before);
      });

      it("export-script writes a JSON that plan reads, and the plan is empty when nothing differs", async () => {
        await generate([
          "exchange",
          "export-script",
          "-o",
          join(t.dir, "export.ps1"),
          "--upn",
          "admin@contoso.com",
        ]);
        const r = await runScript(t, "./export.ps1");
        expect(r.code, r.stderr).toBe(0);
        expect(calls(r)).toEqual(["Connect-ExchangeOnline", "Get-SmimeConfig", "Disconnect-ExchangeOnline"]);
        const exported = JSON.parse(readFileSync(join(t.dir, "smime-export.json"), "utf8"));
        expect(sha256(Buffer.from(exported.SMIMECertificateIssuingCA, "base64"))).toBe(sha256(sst));
        expect(exported.SMIMEExpiredCertificateThumbprint).toBe(d.issuing.cert.sha1);
        expect(exported.OWACRLRetrievalTimeout).toBe(20000);
        const plan = await cli(
          ["exchange", "plan", "--current", join(t.dir, "smime-export.json"), "--config", d.config, "--json"],
          Date.now(),
        );
        expect(plan.code, plan.stderr).toBe(0);
        const p = JSON.parse(plan.stdout);
        expect(p.status).toBe("no-changes");
        expect(p.settings).toEqual([]);
        expect(p.trust.changesBytes).toBe(false);
      });

      it("rollback-script restores the earlier bytes and settings exactly: first the empty list, then the applied one", async () => {
        const files = backups(t.dir).sort();
        expect(files.length).toBe(3); // -WhatIf (empty), apply (empty), second run (the applied list)
        const applied = state(t);
        await generate([
          "exchange",
          "rollback-script",
          join(t.dir, files[0]),
          "-o",
          join(t.dir, "rollback-empty.ps1"),
          "--upn",
          "admin@contoso.com",
        ]);
        const r1 = await runScript(t, "./rollback-empty.ps1");
        expect(r1.code, r1.stderr).toBe(0);
        expect(r1.log[2].call).toBe("Set-SmimeConfig");
        expect(r1.log[2].params.SMIMECertificateIssuingCA).toBeNull();
        const empty = state(t);
        expect(empty.TrustList).toBeNull();
        expect(empty.ExpiryDate).toBeNull();
        expect(empty.ExpiryThumbprint).toBe("");
        expectSettings(empty, {
          OWASigningAlgorithms: "8004",
          OWACRLRetrievalTimeout: 10000,
          OWACheckCRLOnSend: false,
          NoSignOnReply: true,
          OWABCCEncryptedEmailForking: 0,
          OWASenderCertificateAttributesToDisplay: "",
        });

        await generate([
          "exchange",
          "rollback-script",
          join(t.dir, files[2]),
          "-o",
          join(t.dir, "rollback-applied.ps1"),
          "--upn",
          "admin@contoso.com",
        ]);
        const r2 = await runScript(t, "./rollback-applied.ps1", ["-VerifyDelaySeconds", "0"]);
        expect(r2.code, r2.stderr).toBe(0);
        const back = state(t);
        expect(back.TrustList).toBe(applied.TrustList);
        expect(back.Config).toEqual(applied.Config);
        expect(back.ExpiryThumbprint).toBe(applied.ExpiryThumbprint);
      });
    });

    describe("embed variant, app-only sign-in, the trust list returned as base64 text", () => {
      it("passes AppId, CertificateThumbprint and Organization, reads base64, backs up and uploads the exact bytes", async () => {
        const t = tenant();
        const d = desired(t.dir);
        // The tenant has an older list already.
        const old = root("CN=Old Root CA", { notBefore: Date.now() - DAY, notAfter: Date.now() + 100 * DAY });
        const oldBytes = createSst([{ der: old.der }]);
        writeFileSync(
          t.state,
          JSON.stringify({
            Config: {},
            TrustList: Buffer.from(oldBytes).toString("base64"),
            ExpiryDate: iso(old.cert.notAfter),
            ExpiryThumbprint: old.cert.sha1,
          }),
        );
        await generate([
          "exchange",
          "script",
          "--config",
          d.config,
          "--embed",
          "-o",
          join(t.dir, "apply.ps1"),
          "--app-id",
          APP.appId,
          "--certificate-thumbprint",
          APP.thumbprint,
          "--organization",
          APP.organization,
        ]);
        expect(readdirSync(t.dir)).not.toContain("apply.sst");
        const r = await runScript(t, "./apply.ps1", [], { SMIMETRUST_STANDIN_BYTES: "base64" });
        expect(r.code, r.stderr).toBe(0);
        expect(r.log[0].params).toMatchObject({
          AppId: { type: "String", value: APP.appId },
          CertificateThumbprint: { type: "String", value: APP.thumbprint },
          Organization: { type: "String", value: APP.organization },
          ShowBanner: { type: "Boolean", value: false },
        });
        expect(r.log[0].params.UserPrincipalName).toBeUndefined();
        expect(r.stdout).toContain(`SMIMECertificateIssuingCA: SHA-256 ${sha256(oldBytes)} -> `);
        const backup = JSON.parse(readFileSync(join(t.dir, backups(t.dir)[0]), "utf8"));
        expect(backup.SMIMECertificateIssuingCA).toBe(Buffer.from(oldBytes).toString("base64"));
        const script = readFileSync(join(t.dir, "apply.ps1"), "utf8");
        const expected = /\$ExpectedTrustListSha256 = '([0-9A-F]{64})'/.exec(script)![1];
        expect(sha256(Buffer.from(state(t).TrustList!, "base64"))).toBe(expected);
        expectSettings(state(t), SETTINGS);
        expect(calls(r).at(-1)).toBe("Disconnect-ExchangeOnline");
      });

      it("sign-in given on the command line replaces the baked-in one, and mixing both kinds is refused before connecting", async () => {
        const t = tenant();
        const d = desired(t.dir);
        await generate([
          "exchange",
          "script",
          "--config",
          d.config,
          "--embed",
          "-o",
          join(t.dir, "apply.ps1"),
          "--app-id",
          APP.appId,
          "--certificate-thumbprint",
          APP.thumbprint,
          "--organization",
          APP.organization,
        ]);
        const r = await runScript(t, "./apply.ps1", ["-UserPrincipalName", "other@contoso.com", "-WhatIf"]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.log[0].params.UserPrincipalName).toEqual({ type: "String", value: "other@contoso.com" });
        expect(r.log[0].params.AppId).toBeUndefined();
        const both = await runScript(t, "./apply.ps1", [
          "-UserPrincipalName",
          "other@contoso.com",
          "-AppId",
          APP.appId,
        ]);
        expect(both.code).not.toBe(0);
        expect(flat(both.stderr)).toContain("not both");
        expect(calls(both)).toEqual(["Disconnect-ExchangeOnline"]);
      });
    });

    describe("failures", () => {
      async function applyScript(): Promise<{ t: Tenant; before: string }> {
        const t = tenant();
        const d = desired(t.dir);
        await generate([
          "exchange",
          "script",
          "--config",
          d.config,
          "-o",
          join(t.dir, "apply.ps1"),
          "--upn",
          "admin@contoso.com",
        ]);
        const seed = JSON.stringify({
          Config: { OWAAlwaysSign: true },
          TrustList: null,
          ExpiryDate: null,
          ExpiryThumbprint: "",
        });
        writeFileSync(t.state, seed);
        return { t, before: seed };
      }

      it("a failing Connect exits non-zero, still disconnects and leaves the tenant unchanged", async () => {
        const { t, before } = await applyScript();
        const r = await runScript(t, "./apply.ps1", [], { SMIMETRUST_STANDIN_FAIL: "Connect" });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain("sign-in failed");
        expect(calls(r)).toEqual(["Connect-ExchangeOnline", "Disconnect-ExchangeOnline"]);
        expect(readFileSync(t.state, "utf8")).toBe(before);
      });

      it("a failing Set exits non-zero, names the backup, still disconnects and leaves the tenant unchanged", async () => {
        const { t, before } = await applyScript();
        const r = await runScript(t, "./apply.ps1", [], { SMIMETRUST_STANDIN_FAIL: "Set" });
        expect(r.code).not.toBe(0);
        const [backup] = backups(t.dir);
        expect(r.stderr).toContain("Set-SmimeConfig failed:");
        expect(flat(r.stderr)).toContain(`The previous configuration is saved in ${join(t.dir, backup)}`);
        expect(calls(r)).toEqual([
          "Connect-ExchangeOnline",
          "Get-SmimeConfig",
          "Set-SmimeConfig",
          "Disconnect-ExchangeOnline",
        ]);
        expect(readFileSync(t.state, "utf8")).toBe(before);
        expect(JSON.parse(readFileSync(join(t.dir, backup), "utf8")).OWAAlwaysSign).toBe(true);
      });

      it("stale reads after Set are retried and then verified", async () => {
        const { t } = await applyScript();
        const r = await runScript(t, "./apply.ps1", ["-VerifyDelaySeconds", "0"], {
          SMIMETRUST_STANDIN_STALE_READS: "2",
        });
        expect(r.code, r.stderr).toBe(0);
        expect(calls(r)).toEqual([
          "Connect-ExchangeOnline",
          "Get-SmimeConfig",
          "Set-SmimeConfig",
          "Get-SmimeConfig",
          "Get-SmimeConfig",
          "Get-SmimeConfig",
          "Disconnect-ExchangeOnline",
        ]);
        expect(r.stdout).toContain("read-back 2 of 6 does not show the change yet");
        expect(r.stdout).toContain("Verified:");
      });

      it("a value that never arrives fails verification, naming the backup", async () => {
        const { t } = await applyScript();
        const r = await runScript(t, "./apply.ps1", ["-VerifyDelaySeconds", "0", "-VerifyAttempts", "3"], {
          SMIMETRUST_STANDIN_STALE_READS: "100",
        });
        expect(r.code).not.toBe(0);
        const [backup] = backups(t.dir);
        const err = flat(r.stderr);
        expect(err).toContain(
          "Verification failed: SMIMECertificateIssuingCA has SHA-256 (no trust list), expected ",
        );
        expect(err).toContain(`The previous configuration is saved in ${join(t.dir, backup)}`);
        expect(calls(r).filter((c) => c === "Get-SmimeConfig")).toHaveLength(4);
        expect(calls(r).at(-1)).toBe("Disconnect-ExchangeOnline");
      });
    });

    describe("hostile names and paths", () => {
      it("paths with spaces, quotes and Unicode work; hostile certificate names do nothing but appear in comments", async () => {
        const base = tmp("smimetrust-pwsh-");
        const dir = join(base, "it's ‘a’ “b” dir $(whoami) é 😀");
        (await import("node:fs")).mkdirSync(dir);
        const t = tenant(dir);
        const pwned = join(dir, "pwned.txt");
        const hostile = [
          `Evil\nNew-Item -Path '${pwned}'`,
          "Closes #> <# the comment",
          "Quotes ' \u2018 \u2019 \u201A \u201B end",
          `$(New-Item -Path "${pwned}")`,
          "Bidi \u202Egnp.exe\u202C \u2066x\u2069 \u200F",
        ];
        const now = Date.now();
        const list = hostile.map((name, i) =>
          issue({ subject: [["CN", name]], ca: true, notBefore: now - DAY, notAfter: now + (300 + i) * DAY }),
        );
        for (const [i, c] of list.entries()) write(dir, `ca ${i} ‘q’.pem`, c.pem);
        write(
          dir,
          "smime.config.json",
          JSON.stringify({ trust: list.map((_, i) => `ca ${i} ‘q’.pem`), settings: { OWAAlwaysSign: true } }),
        );
        await generate([
          "exchange",
          "script",
          "--config",
          join(dir, "smime.config.json"),
          "-o",
          join(dir, "apply 'x' ü.ps1"),
          "--sst-out",
          join(dir, "trust ‘list’ $(x).sst"),
          "--upn",
          "admin@contoso.com",
        ]);
        const text = readFileSync(join(dir, "apply 'x' ü.ps1"), "utf8");
        // Every line that carries a name is a comment, and none carries a bidi control.
        for (const line of text.split("\n").filter((l) => /Evil|Closes|Quotes|New-Item -Path|Bidi/.test(l)))
          expect(line.startsWith("#"), line).toBe(true);
        expect(text).not.toMatch(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
        const r = await runScript(t, "./apply 'x' ü.ps1", ["-BackupFolder", dir]);
        expect(r.code, r.stderr).toBe(0);
        expect(existsSync(pwned)).toBe(false);
        const sst = readFileSync(join(dir, "trust ‘list’ $(x).sst"));
        expect(sha256(Buffer.from(state(t).TrustList!, "base64"))).toBe(sha256(sst));
        expect(state(t).ExpiryThumbprint).toBe(list[0].cert.sha1);
        expect(backups(dir)).toHaveLength(1);
      });
    });

    describe("the stand-in behaves as Exchange does", () => {
      it("refuses more than 70,000 bytes, bytes that are not a store and expired certificates (naming them); empty clears", async () => {
        const t = tenant();
        const now = Date.now();
        const good = root("CN=Good Root", { notBefore: now - DAY, notAfter: now + 50 * DAY });
        const expired1 = root("CN=Expired One", { notBefore: now - 100 * DAY, notAfter: now - DAY });
        const expired2 = root("CN=Expired Two", { notBefore: now - 100 * DAY, notAfter: now - 2 * DAY });
        const files = {
          big: write(t.dir, "big.bin", new Uint8Array(70_001)),
          pem: write(t.dir, "pem.bin", good.pem),
          truncated: write(t.dir, "truncated.bin", createSst([{ der: good.der }]).subarray(0, 100)),
          expired: write(
            t.dir,
            "expired.bin",
            createSst([{ der: good.der }, { der: expired1.der }, { der: expired2.der }]),
          ),
          good: write(t.dir, "good.bin", createSst([{ der: good.der }])),
        };
        const ps = `
$ErrorActionPreference = 'Stop'
Import-Module ExchangeOnlineManagement
$out = [ordered]@{}
try { Get-SmimeConfig | Out-Null; $out.before = 'no error' } catch { $out.before = $_.Exception.Message }
Connect-ExchangeOnline -UserPrincipalName 'admin@contoso.com' -ShowBanner:$false
$out.module = (Get-Module ExchangeOnlineManagement).Path
foreach ($name in 'big', 'pem', 'truncated', 'expired') {
  try { Set-SmimeConfig -SMIMECertificateIssuingCA ([System.IO.File]::ReadAllBytes("$name.bin")) -OWAAlwaysSign $true -ErrorAction Stop; $out[$name] = 'accepted' }
  catch { $out[$name] = $_.Exception.Message }
}
$out.afterRefusals = (Get-SmimeConfig).OWAAlwaysSign
Set-SmimeConfig -SMIMECertificateIssuingCA ([System.IO.File]::ReadAllBytes('good.bin'))
$c = Get-SmimeConfig
$out.type = $c.SMIMECertificateIssuingCA.GetType().Name
$out.thumbprint = $c.SMIMEExpiredCertificateThumbprint
$out.expiry = $c.SMIMECertificatesExpiryDate.ToString('yyyy-MM-ddTHH:mm:ssZ')
$out.expiryKind = [string]$c.SMIMECertificatesExpiryDate.Kind
try { Set-SmimeConfig -OWACRLConnectionTimeout 'soon'; $out.typed = 'accepted' } catch { $out.typed = 'refused' }
Set-SmimeConfig -SMIMECertificateIssuingCA ([byte[]]@())
$c = Get-SmimeConfig
$out.cleared = ($null -eq $c.SMIMECertificateIssuingCA) -and ($null -eq $c.SMIMECertificatesExpiryDate) -and ($c.SMIMEExpiredCertificateThumbprint -eq '')
$out | ConvertTo-Json -Compress
`;
        const r = await pwsh(t, ["-Command", ps]);
        expect(r.code, r.stderr).toBe(0);
        const o = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
        expect(o.before).toMatch(/Connect-ExchangeOnline first/);
        expect(o.module).toContain(STAND_IN);
        expect(o.big).toBe("The SST file size exceeds the limit of 70000 bytes.");
        expect(o.pem).toBe("SMIMECertificateIssuingCA has wrong format");
        expect(o.truncated).toBe("SMIMECertificateIssuingCA has wrong format");
        expect(o.expired).toBe(
          `The following certificates have expired: ${expired1.cert.sha1} , ${expired2.cert.sha1}`,
        );
        expect(o.afterRefusals).toBe(false); // nothing of a refused Set is saved
        expect(o.type).toBe("Byte[]");
        expect(o.thumbprint).toBe(good.cert.sha1);
        expect(o.expiry).toBe(iso(good.cert.notAfter));
        expect(o.expiryKind).toBe("Utc");
        expect(o.typed).toBe("refused");
        expect(o.cleared).toBe(true);
        expect(existsSync(files.good)).toBe(true);
      });
    });
  },
);

/** Constructs Windows PowerShell 5.1 does not have, found in PowerShell's own syntax tree. */
const AST_CHECK = `
param([string] $ListFile)
$results = [ordered]@{}
foreach ($file in [System.IO.File]::ReadAllLines($ListFile)) {
  $tokens = $null; $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$tokens, [ref]$errors)
  $found = New-Object System.Collections.Generic.List[string]
  foreach ($e in $errors) { $found.Add('parse error: ' + $e.Message) }
  $all = $ast.FindAll({ $true }, $true)
  foreach ($n in $all) {
    $t = $n.GetType().Name
    if ($t -eq 'TernaryExpressionAst') { $found.Add('ternary ?:') }
    if ($t -eq 'PipelineChainAst') { $found.Add('&& or || pipeline chain') }
    if ($t -eq 'BinaryExpressionAst' -and $n.Operator -eq 'QuestionQuestion') { $found.Add('?? operator') }
    if ($t -eq 'AssignmentStatementAst' -and $n.Operator -eq 'QuestionQuestionEquals') { $found.Add('??= operator') }
    if (($t -eq 'MemberExpressionAst' -or $t -eq 'InvokeMemberExpressionAst' -or $t -eq 'IndexExpressionAst') -and $n.NullConditional) { $found.Add('?. or ?[] null-conditional') }
    if ($t -eq 'ScriptBlockAst' -and $null -ne $n.CleanBlock) { $found.Add('clean block') }
    if ($t -eq 'CommandAst') {
      $name = $n.GetCommandName()
      $params = @($n.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
      if ($name -in 'ForEach-Object', '%', 'foreach' -and $params -contains 'Parallel') { $found.Add('ForEach-Object -Parallel') }
      if ($name -eq 'ConvertFrom-Json' -and $params -contains 'AsHashtable') { $found.Add('ConvertFrom-Json -AsHashtable') }
      if ($name -eq 'ConvertTo-Json' -and $params -contains 'AsArray') { $found.Add('ConvertTo-Json -AsArray') }
      if ($name -eq 'Get-Content' -and ($params -contains 'AsByteStream')) { $found.Add('Get-Content -AsByteStream') }
      if ($name -eq 'Get-Content' -and ($params -contains 'Encoding')) { $found.Add('Get-Content -Encoding (Byte is gone in 7)') }
      if ($name -in 'Join-Path' -and $params -contains 'AdditionalChildPath') { $found.Add('Join-Path -AdditionalChildPath') }
      if ($name -eq 'Start-Sleep' -and $params -contains 'Duration') { $found.Add('Start-Sleep -Duration') }
      if ($name -eq 'Test-Json' -or $name -eq 'Get-Error') { $found.Add($name + ' (7 only)') }
    }
  }
  $results[$file] = @($found | Select-Object -Unique)
}
$results | ConvertTo-Json -Depth 3 -Compress
`;

describe.skipIf(!PWSH)(
  `Windows PowerShell 5.1: parsed by PowerShell's parser, no 7-only constructs${SKIP}`,
  { timeout: 240_000 },
  () => {
    it("every script variant and template parses with zero errors and uses nothing 5.1 lacks; the checker finds each such construct", async () => {
      const dir = tmp("smimetrust-ps51-");
      const d = desired(dir);
      const files: string[] = [];
      const gen = async (name: string, args: string[]) => {
        await generate([...args, "-o", join(dir, name)]);
        files.push(join(dir, name));
      };
      await gen("apply-file.ps1", ["exchange", "script", "--config", d.config, "--upn", "admin@contoso.com"]);
      await gen("apply-embed.ps1", [
        "exchange",
        "script",
        "--config",
        d.config,
        "--embed",
        "--sst-out",
        join(dir, "x.sst"),
        "--app-id",
        APP.appId,
        "--certificate-thumbprint",
        APP.thumbprint,
        "--organization",
        APP.organization,
      ]);
      write(
        dir,
        "settings.json",
        JSON.stringify({
          settings: { OWADisableCRLCheck: true, OWASenderCertificateAttributesToDisplay: null },
        }),
      );
      await gen("apply-settings.ps1", ["exchange", "script", "--config", join(dir, "settings.json")]);
      await gen("export.ps1", ["exchange", "export-script"]);
      const meta = { version: "0.1.0", generatedAt: Date.now() };
      writeFileSync(
        join(dir, "rollback-clear.ps1"),
        generateApplyScript({
          purpose: "rollback",
          trust: { kind: "clear" },
          settings: [["OWAAlwaysSign", true]],
          connect: {},
          meta,
        }),
      );
      writeFileSync(
        join(dir, "export-lib.ps1"),
        generateExportScript({ connect: { userPrincipalName: "a@b.c" }, meta }),
      );
      files.push(join(dir, "rollback-clear.ps1"), join(dir, "export-lib.ps1"));
      for (const name of ["apply.ps1", "export.ps1", "helpers.ps1"] as const) {
        writeFileSync(join(dir, `template-${name}`), readTemplate(name));
        files.push(join(dir, `template-${name}`));
      }
      files.push(join(STAND_IN, "ExchangeOnlineManagement/3.9.0/ExchangeOnlineManagement.psm1"));
      // The checker's own check: a file with every construct it must find.
      const bad = join(dir, "bad.ps1");
      writeFileSync(
        bad,
        [
          "$a = $true ? 1 : 2",
          "$b = $null ?? 3",
          "$c ??= 4",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell's ${x} variable syntax
          "$d = ${x}?.Length",
          "Get-Item . && Get-Item .",
          "1..3 | ForEach-Object -Parallel { $_ }",
          "$h = '{}' | ConvertFrom-Json -AsHashtable",
          "$bytes = Get-Content x.sst -AsByteStream",
          "function f { process { } clean { } }",
        ].join("\n"),
      );
      write(dir, "list.txt", [...files, bad].join("\n"));
      write(dir, "ast-check.ps1", AST_CHECK);
      const t = tenant(dir);
      const r = await pwsh(t, ["-File", join(dir, "ast-check.ps1"), "-ListFile", join(dir, "list.txt")]);
      expect(r.code, r.stderr).toBe(0);
      const results = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string[]>;
      for (const f of files) expect(results[f] ?? [], f).toEqual([]);
      expect(new Set(results[bad])).toEqual(
        new Set([
          "ternary ?:",
          "?? operator",
          "??= operator",
          "?. or ?[] null-conditional",
          "&& or || pipeline chain",
          "ForEach-Object -Parallel",
          "ConvertFrom-Json -AsHashtable",
          "Get-Content -AsByteStream",
          "clean block",
        ]),
      );
    });
  },
);
