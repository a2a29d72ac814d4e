import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSmimeExport } from "../../src/exchange/export.js";
import { psString } from "../../src/exchange/powershell.js";
import {
  generateApplyScript,
  generateExportScript,
  readTemplate,
  rollbackSettings,
} from "../../src/exchange/script.js";
import { buildTrustStore } from "../../src/trust/build-store.js";
import { issue, root } from "../helpers/pki.js";
import {
  certs,
  cli,
  exportJson,
  fixturePath,
  GOLDEN,
  NOW,
  psStructureProblems,
  REPO,
  readPsLiteral,
  spawnCli,
  tmp,
  write,
} from "./helpers.js";

const DAY = 86_400_000;
const CONFIG = "test/exchange/fixtures/smime.config.json";
const BACKUP = "test/exchange/fixtures/smime-backup-20260601-000000.json";
const APP = [
  "--app-id",
  "0b5a1f3e-6c7d-4e8f-9a0b-1c2d3e4f5a6b",
  "--certificate-thumbprint",
  "4F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C",
  "--organization",
  "contoso.onmicrosoft.com",
];
const fixtureList = () => [certs.contosoRoot(), certs.contosoIssuing(), certs.fabrikamRoot()];

/** Compares with test/exchange/golden/<name>; UPDATE_GOLDEN=1 writes it instead. */
function golden(name: string, text: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, text);
  }
  expect(existsSync(path), `${path} missing: run UPDATE_GOLDEN=1 npx vitest run test/exchange`).toBe(true);
  expect(text).toBe(readFileSync(path, "utf8"));
}

async function generate(args: string[]): Promise<{ dir: string; text: string; stdout: string }> {
  const dir = tmp();
  const r = await cli([...args.map((a) => a.replace("$OUT", dir))]);
  expect(r.code, r.stderr).toBe(0);
  const ps1 = args[args.indexOf("-o") + 1].replace("$OUT", dir);
  return { dir, text: readFileSync(ps1, "utf8"), stdout: r.stdout };
}

/** The base64 lines of the embedded trust list, joined and decoded. */
function embedded(text: string): Buffer {
  const m = /\$TrustListBase64 = @\(\n((?: {4}'[A-Za-z0-9+/=]*'\n)+)\) -join ''/.exec(text);
  expect(m, "embedded base64 block").not.toBeNull();
  return Buffer.from(m![1].replace(/[\s']/g, ""), "base64");
}

describe("golden scripts (fixed clock and certificates)", () => {
  it("apply, interactive sign-in, .sst beside the script", async () => {
    const { dir, text, stdout } = await generate([
      "exchange",
      "script",
      "--config",
      CONFIG,
      "-o",
      "$OUT/apply.ps1",
      "--upn",
      "admin@contoso.com",
    ]);
    golden("apply-interactive-file.ps1", text);
    const sst = readFileSync(join(dir, "apply.sst"));
    expect(new Uint8Array(sst)).toEqual(buildTrustStore(fixtureList(), { now: NOW }).bytes);
    expect(text).toContain(
      `$ExpectedTrustListSha256 = '${createHash("sha256").update(sst).digest("hex").toUpperCase()}'`,
    );
    expect(stdout).toContain(`wrote ${dir}/apply.ps1 and ${dir}/apply.sst`);
  });

  it("apply, app-only sign-in, trust list embedded", async () => {
    const { dir, text } = await generate([
      "exchange",
      "script",
      "--config",
      CONFIG,
      "--embed",
      "-o",
      "$OUT/apply.ps1",
      ...APP,
    ]);
    golden("apply-app-only-embed.ps1", text);
    expect(readdirSync(dir)).toEqual(["apply.ps1"]); // nothing beside it
    expect(new Uint8Array(embedded(text))).toEqual(buildTrustStore(fixtureList(), { now: NOW }).bytes);
  });

  it("apply, settings only (trust list left alone)", async () => {
    const dir = tmp();
    write(
      dir,
      "settings.json",
      JSON.stringify({
        settings: {
          OWADisableCRLCheck: true,
          OWABCCEncryptedEmailForking: 1,
          OWASenderCertificateAttributesToDisplay: null,
        },
      }),
    );
    const r = await cli([
      "exchange",
      "script",
      "--config",
      join(dir, "settings.json"),
      "-o",
      join(dir, "settings.ps1"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, "settings.ps1"), "utf8").replace(
      psString(join(dir, "settings.json")),
      "'settings.json'",
    );
    golden("apply-settings-only.ps1", text);
    expect(text).toContain("$TrustListSource = 'none'");
    expect(text).toContain("$TrustListBase64 = ''");
    expect(readdirSync(dir).sort()).toEqual(["settings.json", "settings.ps1"]);
  });

  it("rollback of a backup", async () => {
    const { text, stdout } = await generate([
      "exchange",
      "rollback-script",
      BACKUP,
      "-o",
      "$OUT/rollback.ps1",
      "--upn",
      "admin@contoso.com",
    ]);
    golden("rollback.ps1", text);
    const backup = readSmimeExport(readFileSync(BACKUP), BACKUP);
    expect(new Uint8Array(embedded(text))).toEqual(backup.trustListBytes);
    // every setting of the backup is restored, with its value
    expect(text).toContain("'OWAAlwaysSign' = $true");
    expect(text).toContain("'OWACRLConnectionTimeout' = [uint32]30000");
    expect(text).toContain("'OWAEncryptionAlgorithms' = '6610'");
    expect(text).toContain("'OWASenderCertificateAttributesToDisplay' = $null");
    expect(text.match(/^ {4}'(OWA\w+|NoSignOnReply)' = /gm)).toHaveLength(25);
    expect(stdout).toContain("restores:  trust list of 2 certificates");
  });

  it("export", async () => {
    const { text } = await generate([
      "exchange",
      "export-script",
      "-o",
      "$OUT/export.ps1",
      "--upn",
      "admin@contoso.com",
    ]);
    golden("export.ps1", text);
    expect(text).toContain("$config = Get-SmimeConfig");
    expect(text).toContain("Save-SmimeJson (ConvertTo-SmimeExport $config) $OutFile");
    expect(text).toContain("$DefaultOutFile = 'smime-export.json'");
    expect(text).toContain(
      "if ($bytes.Length -eq 0) { $export[$name] = $null } else { $export[$name] = [System.Convert]::ToBase64String($bytes) }",
    );
    expect(text).not.toContain("Set-SmimeConfig");
  });
});

describe("what every generated script does", () => {
  const list = fixtureList();
  const built = buildTrustStore(list, { now: NOW });
  const meta = { version: "0.1.0", generatedAt: NOW, source: "smime.config.json" };
  const listed = built.certificates.map((c) => ({ name: c.name, sha1: c.sha1, notAfter: c.notAfter }));
  const file = generateApplyScript({
    purpose: "apply",
    trust: { kind: "file", path: "trust.sst", bytes: built.bytes },
    certificates: listed,
    settings: [
      ["OWASigningAlgorithms", "800C"],
      ["OWACRLConnectionTimeout", 30000],
      ["OWAAlwaysSign", true],
    ],
    connect: {},
    meta,
  });
  const embed = generateApplyScript({
    purpose: "apply",
    trust: { kind: "embed", bytes: built.bytes },
    certificates: listed,
    settings: [],
    connect: {},
    meta,
  });
  const exp = generateExportScript({ connect: {}, meta });

  it("the structure checker finds a literal that was not quoted safely", () => {
    expect(psStructureProblems("$a = 'it's'\n")).toEqual(["unterminated single-quoted string at 10"]);
    expect(psStructureProblems("$a = 'x\u2019'; if ($a) { }\n")).toEqual([
      "unterminated single-quoted string at 5",
    ]);
    expect(psStructureProblems("if ($a) { (\n")).toEqual(["unclosed '{' at 8", "unclosed '(' at 10"]);
    expect(psStructureProblems(file)).toEqual([]);
  });

  it("runs on 5.1 and 7, stops at the first error and starts with a UTF-8 byte-order mark", () => {
    for (const t of [file, embed, exp]) {
      expect(t.startsWith("\uFEFF#Requires -Version 5.1\n")).toBe(true);
      expect(t).toContain("$ErrorActionPreference = 'Stop'");
      expect(t).not.toMatch(/Get-Content[^\n]*-Encoding Byte/);
    }
  });

  it("installs or imports ExchangeOnlineManagement 3, connects either way, disconnects in finally", () => {
    for (const t of [file, embed, exp]) {
      expect(t).toContain(
        "Install-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0 -Scope CurrentUser",
      );
      expect(t).toContain("Import-Module -Name ExchangeOnlineManagement -MinimumVersion 3.0.0");
      expect(t).toContain("Connect-ExchangeOnline -UserPrincipalName $UserPrincipalName");
      expect(t).toContain(
        "Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $CertificateThumbprint -Organization $Organization",
      );
      const tryAt = t.indexOf("\ntry {\n");
      const connectAt = t.indexOf("    Connect-SmimeTenant");
      const finallyAt = t.indexOf("\nfinally {\n    Disconnect-ExchangeOnline -Confirm:$false");
      expect(tryAt).toBeGreaterThan(0);
      expect(connectAt).toBeGreaterThan(tryAt);
      expect(finallyAt).toBeGreaterThan(connectAt);
      expect(t.trimEnd().endsWith("}")).toBe(true);
    }
  });

  it("calls every Exchange cmdlet with -ErrorAction Stop (module functions do not see the script's preference)", () => {
    for (const t of [file, embed, exp]) {
      const calls = t
        .split("\n")
        .filter((l) =>
          /(^|=\s*)(Connect-ExchangeOnline|Get-SmimeConfig|Set-SmimeConfig|Install-Module|Import-Module) -/.test(
            l.trim(),
          ),
        );
      expect(calls.length).toBeGreaterThanOrEqual(5);
      for (const c of calls) expect(c, c).toContain("-ErrorAction Stop");
    }
  });

  it("supports -WhatIf: Set-SmimeConfig only after ShouldProcess, and only what differs", () => {
    expect(file).toContain("[CmdletBinding(SupportsShouldProcess)]");
    const should = file.indexOf("if (-not $PSCmdlet.ShouldProcess(");
    const set = file.indexOf("Set-SmimeConfig @changes -Confirm:$false");
    expect(should).toBeGreaterThan(0);
    expect(set).toBeGreaterThan(should);
    expect(file.match(/^\s*Set-SmimeConfig /gm)).toHaveLength(1);
    expect(file).toContain(
      "if ($currentSha256 -ne $ExpectedTrustListSha256) {\n            $changes['SMIMECertificateIssuingCA'] = $trustListBytes",
    );
    expect(file).toContain(
      "if (-not (Test-SmimeValueEqual $current $DesiredSettings[$name])) {\n            $changes[$name] = $DesiredSettings[$name]",
    );
  });

  it("backs up before changing, then verifies the SHA-256 and each setting and prints the expiry Exchange reports", () => {
    const backup = file.indexOf("Save-SmimeJson (ConvertTo-SmimeExport $before) $backupPath");
    expect(backup).toBeGreaterThan(0);
    expect(backup).toBeLessThan(file.indexOf("Set-SmimeConfig @changes"));
    expect(file).toContain("('smime-backup-{0}.json' -f [datetime]::UtcNow.ToString('yyyyMMdd-HHmmss'))");
    expect(file).toContain(`$ExpectedTrustListSha256 = '${built.sha256}'`);
    expect(file).toContain("if ($storedSha256 -ne $ExpectedTrustListSha256) {");
    expect(file).toContain("if (-not (Test-SmimeValueEqual $stored $DesiredSettings[$name])) {");
    expect(file).toContain("throw ('Verification failed:");
    expect(file).toContain("Get-SmimeValue $after 'SMIMECertificatesExpiryDate'");
    expect(file).toContain("Get-SmimeValue $after 'SMIMEExpiredCertificateThumbprint'");
    expect(file).toContain(`$ExpectedEarliestThumbprint = '${built.earliest!.sha1}'`);
  });

  it("writes settings as typed literals", () => {
    expect(file).toContain(
      "$DesiredSettings = [ordered]@{\n    'OWASigningAlgorithms' = '800C'\n    'OWACRLConnectionTimeout' = [uint32]30000\n    'OWAAlwaysSign' = $true\n}",
    );
  });

  it("reads the file with ReadAllBytes, or decodes the embedded base64 to the exact .sst bytes", () => {
    expect(file).toContain("$trustListBytes = [System.IO.File]::ReadAllBytes($TrustListPath)");
    expect(file).toContain("$TrustListSource = 'file'\n$TrustListFile = 'trust.sst'\n");
    expect(embed).toContain("$trustListBytes = [System.Convert]::FromBase64String($TrustListBase64)");
    expect(embed).toContain("$TrustListSource = 'embed'\n$TrustListFile = ''\n");
    expect(new Uint8Array(embedded(embed))).toEqual(built.bytes);
  });

  it("quotes hostile paths, names and sign-in values so they neither break the script nor run", () => {
    const hostile = [
      "my trust list.sst",
      "it's.sst",
      "a\u2019b\u2018c\u201Ad\u201Be.sst",
      "$(Remove-Item -Recurse C:\\).sst",
      "`whoami`.sst",
      'say "$env:USERNAME".sst',
      "line\nbreak'; Remove-Item C:\\ -Recurse; '.sst",
      "#> <# .sst",
    ];
    const make = (v: string) =>
      generateApplyScript({
        purpose: "apply",
        trust: { kind: "file", path: v, bytes: built.bytes },
        certificates: [{ name: v, sha1: list[0].sha1, notAfter: list[0].notAfter }],
        settings: [["OWASenderCertificateAttributesToDisplay", "2.5.4.3"]],
        connect: { userPrincipalName: v, organization: v },
        meta: { ...meta, source: v },
      });
    const reference = make("SAFE");
    for (const v of hostile) {
      const t = make(v);
      expect(psStructureProblems(t), v).toEqual([]);
      // 1. Each value is one literal that PowerShell reads back exactly, ending where the generator ended it.
      const at = t.indexOf("$TrustListFile = ") + "$TrustListFile = ".length;
      const lit = readPsLiteral(t, at);
      expect(lit.value).toBe(v);
      expect(t.slice(lit.end, lit.end + 1)).toBe("\n");
      const upn = t.indexOf("$DefaultUserPrincipalName = ") + "$DefaultUserPrincipalName = ".length;
      expect(readPsLiteral(t, upn)).toEqual({ value: v, end: upn + psString(v).length });
      // 2. Apart from those literals and the comment line, the script is the same as with a harmless value:
      //    nothing of the value leaked into code, double-quoted strings or new lines.
      const normalise = (s: string, val: string) =>
        s
          .split(psString(val))
          .join("<V>")
          .replace(/^# {3}[0-9A-F]{40} {2}\d{4}-\d\d-\d\d {2}.*$/m, "# <CERT>");
      expect(normalise(t, v)).toBe(normalise(reference, "SAFE"));
    }
  });
});

describe("smimetrust exchange script / rollback-script refusals", () => {
  it("refuses an expired certificate like build: exit 2, nothing written", async () => {
    const dir = tmp();
    write(dir, "old.pem", root("CN=Old Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW - DAY }).pem);
    write(dir, "smime.config.json", JSON.stringify({ trust: ["old.pem", fixturePath("fabrikam-root.pem")] }));
    const r = await cli([
      "exchange",
      "script",
      "--config",
      join(dir, "smime.config.json"),
      "-o",
      join(dir, "apply.ps1"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^smimetrust: Exchange refuses a list with expired certificates: 'Old Root CA'/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(["old.pem", "smime.config.json"]);
  });

  it("refuses more than 70,000 bytes: exit 2, nothing written", async () => {
    const dir = tmp();
    const big = issue({
      subject: "CN=Huge Root CA",
      ca: true,
      notBefore: NOW - DAY,
      notAfter: NOW + 3000 * DAY,
      extensions: [{ oid: "1.3.6.1.4.1.99999.1", value: new Uint8Array(71_000) }],
    });
    write(dir, "big.pem", big.pem);
    write(dir, "smime.config.json", JSON.stringify({ trust: ["big.pem"] }));
    const r = await cli([
      "exchange",
      "script",
      "--config",
      join(dir, "smime.config.json"),
      "--embed",
      "-o",
      join(dir, "apply.ps1"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/over Exchange's limit of 70000/);
    expect(readdirSync(dir).sort()).toEqual(["big.pem", "smime.config.json"]);
  });

  it("refuses a bad setting, naming the key: exit 2, nothing written", async () => {
    const dir = tmp();
    write(
      dir,
      "smime.config.json",
      JSON.stringify({
        trust: [fixturePath("fabrikam-root.pem")],
        settings: { OWACRLConnectionTimeout: "60s" },
      }),
    );
    const r = await cli([
      "exchange",
      "script",
      "--config",
      join(dir, "smime.config.json"),
      "-o",
      join(dir, "apply.ps1"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `smimetrust: ${dir}/smime.config.json: settings.OWACRLConnectionTimeout: must be a whole number of milliseconds (0-4294967295), not '60s'\n`,
    );
    expect(readdirSync(dir)).toEqual(["smime.config.json"]);
  });

  it("--json prints only one JSON document: what was written, the trust list and the settings", async () => {
    const dir = tmp();
    const apply = await cli([
      "exchange",
      "script",
      "--config",
      CONFIG,
      "-o",
      join(dir, "apply.ps1"),
      "--json",
    ]);
    expect(apply.code).toBe(0);
    const a = JSON.parse(apply.stdout);
    expect(a.written).toEqual([join(dir, "apply.ps1"), join(dir, "apply.sst")]);
    const sst = readFileSync(join(dir, "apply.sst"));
    expect(a.trustList).toMatchObject({
      bytes: sst.length,
      sha256: createHash("sha256").update(sst).digest("hex").toUpperCase(),
      source: "apply.sst",
    });
    expect(a.trustList.SMIMEExpiredCertificateThumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(typeof a.settings).toBe("object");
    const emb = JSON.parse(
      (await cli(["exchange", "script", "--config", CONFIG, "--embed", "-o", join(dir, "e.ps1"), "--json"]))
        .stdout,
    );
    expect(emb.written).toEqual([join(dir, "e.ps1")]);
    expect(emb.trustList.source).toBe("embedded");
    const exp = await cli(["exchange", "export-script", "-o", join(dir, "export.ps1"), "--json"]);
    expect(exp.code).toBe(0);
    expect(JSON.parse(exp.stdout)).toEqual({
      written: [join(dir, "export.ps1")],
      exportFile: "smime-export.json",
    });
    write(dir, "backup.json", exportJson(null, { OWAAlwaysSign: true }));
    const rb = await cli([
      "exchange",
      "rollback-script",
      join(dir, "backup.json"),
      "-o",
      join(dir, "rb.ps1"),
      "--json",
    ]);
    expect(rb.code).toBe(0);
    const r = JSON.parse(rb.stdout);
    expect(r.written).toEqual([join(dir, "rb.ps1")]);
    expect(r.trustList).toBeNull();
    expect(r.settings.OWAAlwaysSign).toBe(true);
  });

  it("an output that is a folder or in a missing folder: exit 2, one line, nothing written (no .sst left behind)", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "apply.ps1"));
    for (const args of [
      ["exchange", "script", "--config", CONFIG, "-o", join(dir, "apply.ps1")],
      ["exchange", "script", "--config", CONFIG, "-o", join(dir, "missing", "apply.ps1")],
      [
        "exchange",
        "script",
        "--config",
        CONFIG,
        "--sst-out",
        join(dir, "apply.ps1"),
        "-o",
        join(dir, "x.ps1"),
      ],
      ["exchange", "export-script", "-o", join(dir, "apply.ps1")],
      ["exchange", "rollback-script", BACKUP, "-o", join(dir, "apply.ps1")],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^smimetrust: .+: cannot write: /);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(readdirSync(dir)).toEqual(["apply.ps1"]);
    }
  });

  it("does not overwrite without --force (neither the script nor the .sst)", async () => {
    const dir = tmp();
    write(dir, "apply.sst", "keep me");
    const args = ["exchange", "script", "--config", CONFIG, "-o", join(dir, "apply.ps1")];
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`smimetrust: ${dir}/apply.sst: exists already; use --force to replace it\n`);
    expect(readdirSync(dir)).toEqual(["apply.sst"]);
    expect(readFileSync(join(dir, "apply.sst"), "utf8")).toBe("keep me");
    const forced = await cli([...args, "--force"]);
    expect(forced.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["apply.ps1", "apply.sst"]);
  });

  it("rollback refuses a backup whose certificates have expired since, unless --drop-expired", async () => {
    const dir = tmp();
    const old = root("CN=Old Root CA", { notBefore: NOW - 400 * DAY, notAfter: NOW - DAY });
    write(dir, "backup.json", exportJson([old.cert, certs.fabrikamRoot()], { OWAAlwaysSign: true }));
    const r = await cli([
      "exchange",
      "rollback-script",
      join(dir, "backup.json"),
      "-o",
      join(dir, "rollback.ps1"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^smimetrust: ${dir}/backup\\.json: Exchange would refuse to restore this trust list: 'Old Root CA' \\(${old.cert.sha1}\\) expired`,
      ),
    );
    expect(existsSync(join(dir, "rollback.ps1"))).toBe(false);
    const d = await cli([
      "exchange",
      "rollback-script",
      join(dir, "backup.json"),
      "-o",
      join(dir, "rollback.ps1"),
      "--drop-expired",
    ]);
    expect(d.code).toBe(0);
    expect(d.stderr).toContain("warning: left out 'Old Root CA'");
    const text = readFileSync(join(dir, "rollback.ps1"), "utf8");
    expect(new Uint8Array(embedded(text))).toEqual(
      buildTrustStore([certs.fabrikamRoot()], { now: NOW }).bytes,
    );
  });

  it("rollback of a tenant that had no trust list clears it", async () => {
    const dir = tmp();
    write(dir, "backup.json", exportJson(null));
    const r = await cli([
      "exchange",
      "rollback-script",
      join(dir, "backup.json"),
      "-o",
      join(dir, "rollback.ps1"),
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "rollback.ps1"), "utf8");
    expect(text).toContain("$ExpectedTrustListSha256 = ''");
    expect(text).toContain("$TrustListSource = 'clear'");
    expect(rollbackSettings(readSmimeExport(Buffer.from(exportJson(null)), "b").settings)).toHaveLength(25);
  });

  it("works on the bundled examples (examples/smime.config.json, examples/certs)", async () => {
    const dir = tmp();
    const r = await cli([
      "exchange",
      "script",
      "--config",
      join(REPO, "examples/smime.config.json"),
      "--embed",
      "-o",
      join(dir, "apply.ps1"),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trust list: {2}4 certificates, \d+ bytes/);
    const text = readFileSync(join(dir, "apply.ps1"), "utf8");
    expect(text.match(/^# {3}[0-9A-F]{40} /gm)).toHaveLength(4);
    expect(psStructureProblems(text)).toEqual([]);
  });

  it("exits 2 as a real process when the config is bad, and writes nothing", () => {
    const dir = tmp();
    write(dir, "smime.config.json", JSON.stringify({ settings: { OWAAlwaysSign: "yes" } }));
    const r = spawnCli(["exchange", "script", "-o", "apply.ps1"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "smimetrust: smime.config.json: settings.OWAAlwaysSign: must be true or false, not 'yes'\n",
    );
    expect(readdirSync(dir)).toEqual(["smime.config.json"]);
  });
});

describe("sign-in options are checked when the script is written", () => {
  const thumb = "4F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C";
  const cases: [string[], RegExp][] = [
    [["--app-id", "x"], /app-only sign-in needs .*missing --certificate-thumbprint and --organization$/],
    [["--app-id", "x", "--certificate-thumbprint", thumb], /missing --organization$/],
    [["--organization", "contoso.onmicrosoft.com"], /missing --app-id and --certificate-thumbprint$/],
    [
      ["--app-id", "x", "--certificate-thumbprint", "4F1E2D", "--organization", "contoso.onmicrosoft.com"],
      /--certificate-thumbprint: "4F1E2D" is not a thumbprint \(40 hexadecimal digits\)$/,
    ],
    [
      [
        "--app-id",
        "x",
        "--certificate-thumbprint",
        `${thumb.slice(0, 39)}G`,
        "--organization",
        "contoso.onmicrosoft.com",
      ],
      /is not a thumbprint/,
    ],
    [["--upn", "admin"], /--upn: "admin" is not a user principal name/],
    [["--upn", "admin@contoso.com\nx"], /is not a user principal name/],
    [
      [
        "--upn",
        "admin@contoso.com",
        "--app-id",
        "x",
        "--certificate-thumbprint",
        thumb,
        "--organization",
        "contoso.onmicrosoft.com",
      ],
      /--upn \(interactive sign-in\) cannot be combined with --app-id, --certificate-thumbprint, --organization/,
    ],
    [
      ["--app-id", "x", "--certificate-thumbprint", thumb, "--organization", "contoso onmicrosoft"],
      /--organization: "contoso onmicrosoft" is not a domain name/,
    ],
  ];
  for (const cmd of ["script", "rollback-script", "export-script"]) {
    it(`exchange ${cmd}: exit 2, one line, nothing written`, async () => {
      const dir = tmp();
      const base =
        cmd === "script"
          ? ["exchange", "script", "--config", CONFIG, "-o", join(dir, "out.ps1")]
          : cmd === "rollback-script"
            ? ["exchange", "rollback-script", BACKUP, "-o", join(dir, "out.ps1")]
            : ["exchange", "export-script", "-o", join(dir, "out.ps1")];
      for (const [extra, message] of cases) {
        const r = await cli([...base, ...extra]);
        expect(r.code, extra.join(" ")).toBe(2);
        expect(r.stderr.trim().split("\n"), extra.join(" ")).toHaveLength(1);
        expect(r.stderr.trim(), extra.join(" ")).toMatch(/^smimetrust: /);
        expect(r.stderr.trim(), extra.join(" ")).toMatch(message);
        expect(readdirSync(dir)).toEqual([]);
      }
      const ok = await cli([
        ...base,
        "--app-id",
        "x",
        "--certificate-thumbprint",
        thumb.toLowerCase(),
        "--organization",
        "contoso.onmicrosoft.com",
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(readFileSync(join(dir, "out.ps1"), "utf8")).toContain(
        `$DefaultCertificateThumbprint = '${thumb}'`,
      );
    });
  }
});

describe("the templates ship in the package", () => {
  it("as values: templates.generated.ts holds exactly the .ps1 files (the core reads no files)", () => {
    const names = readdirSync(join(REPO, "src/exchange/templates")).filter((f) => f.endsWith(".ps1"));
    expect(names.sort()).toEqual(["apply.ps1", "export.ps1", "helpers.ps1"]);
    for (const n of names)
      expect(readTemplate(n as "apply.ps1")).toBe(
        readFileSync(join(REPO, "src/exchange/templates", n), "utf8").replace(/\r\n/g, "\n"),
      );
    const r = spawnSync(process.execPath, [join(REPO, "scripts/gen-templates.mjs"), "--check"], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
    expect(pkg.scripts.build).toMatch(/^node scripts\/gen-templates\.mjs && /);
  });
});
