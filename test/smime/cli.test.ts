import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/program.js";
import { FileAccessError } from "../../src/errors.js";
import { createSst } from "../../src/formats/sst.js";
import { verifyBatch } from "../../src/io/verify-pool.js";
import { Verifier } from "../../src/smime/verifier.js";
import type { VerifyResult } from "../../src/smime/verify.js";
import { cli as runCli, runScript, spawnCli } from "../helpers/cli.js";
import { crl } from "../helpers/pki.js";
import { smimeMessage } from "../helpers/smime.js";
import { tempFolder } from "../helpers/temp.js";
import { fixture } from "./pki-fixture.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const f = fixture();
const { dir, write } = tempFolder("smimetrust-verify-");
const good = (n: number) =>
  smimeMessage({
    from: "alice@contoso.com",
    subject: `good ${n}`,
    signers: [{ signer: f.rsa }],
    certs: [f.rsa.der, f.ca.der],
  });
const bad = () =>
  smimeMessage({ from: "mallory@contoso.com", signers: [{ signer: f.rsa }], certs: [f.rsa.der, f.ca.der] });
const trustFile = write("trust.pem", f.root.pem);
// Current CRLs of both CA levels, so these runs can determine revocation (no REVOCATION_UNKNOWN warning).
write("crls/root.crl", f.crls[0]);
write("crls/issuing.crl", f.crls[1]);
const crlArgs = ["--crl", path.join(dir, "crls")];

const cli = (args: string[], tty: { stderrIsTTY?: boolean } = {}) => runCli(args, { now: f.now, ...tty });

describe("verify command", () => {
  it("exit 0 when every message is valid, JSON exactly per DESIGN.md", async () => {
    const a = write("ok/a.eml", good(1));
    const r = await cli(["verify", a, "--trust", trustFile, "--json", "--jobs", "1"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toHaveLength(1);
    expect(Object.keys(json[0])).toEqual(["file", "verdict", "problems", "signers"]);
    expect(json[0].verdict).toBe("valid");
    expect(Object.keys(json[0].signers[0])).toEqual([
      "subject",
      "emails",
      "sha1",
      "signingTime",
      "chain",
      "problems",
    ]);
    expect(Object.keys(json[0].signers[0].chain[0])).toEqual(["subject", "sha1", "source"]);
    expect(json[0].signers[0].emails).toEqual(["alice@contoso.com"]);
  });

  it("exit 1 when one is not; a malformed message in a folder is 'error' and the batch goes on, in order", async () => {
    write("batch/1.eml", good(1));
    write("batch/2.eml", "\u0000\u0001 not mail at all");
    write("batch/3.eml", bad());
    write("batch/4.eml", good(4));
    const r = await cli([
      "verify",
      path.join(dir, "batch"),
      "--trust",
      trustFile,
      ...crlArgs,
      "--json",
      "--jobs",
      "1",
    ]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as {
      file: string;
      verdict: string;
      problems: { code: string }[];
      signers: { problems: { code: string }[] }[];
    }[];
    expect(json.map((x) => path.basename(x.file))).toEqual(["1.eml", "2.eml", "3.eml", "4.eml"]);
    expect(json.map((x) => x.verdict)).toEqual(["valid", "error", "invalid", "valid"]);
    expect(json[1].problems.map((p) => p.code)).toEqual(["NOT_MAIL"]);
    expect(json[2].signers[0].problems.map((p) => p.code)).toEqual(["SENDER_MISMATCH"]);
    const t = await cli(["verify", path.join(dir, "batch"), "--trust", trustFile, ...crlArgs, "--jobs", "1"]);
    expect(t.stdout).toMatch(/✓ valid/);
    expect(t.stdout).toMatch(/✗ error/);
    expect(t.stdout).toMatch(/SENDER_MISMATCH/);
    expect(t.stderr).toMatch(/4 messages: 2 valid, 1 invalid, 1 unreadable/);
    const ignoring = await cli([
      "verify",
      path.join(dir, "batch/3.eml"),
      "--trust",
      trustFile,
      "--ignore-sender",
    ]);
    expect(ignoring.code).toBe(0);
  });

  it("skips certificates and other non-mail files found in folders; a file named directly is verified", async () => {
    write("mixed/a.eml", good(1));
    write("mixed/ca/root.pem", f.root.pem);
    write("mixed/ca/issuing.crl", crl({ issuer: f.ca, revoked: [] }));
    write("mixed/notes.md", "# notes");
    write("mixed/b", good(2)); // Maildir-style name without an extension
    const r = await cli(["verify", path.join(dir, "mixed"), "--trust", trustFile, "--json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { file: string }[]).map((x) => path.basename(x.file))).toEqual([
      "a.eml",
      "b",
    ]);
    expect(r.stderr).toMatch(/^note: skipped 3 files/);
    const direct = await cli(["verify", path.join(dir, "mixed/ca/root.pem"), "--trust", trustFile, "--json"]);
    expect(direct.code).toBe(1);
    expect(JSON.parse(direct.stdout)[0].verdict).toBe("error");
    const only = await cli(["verify", path.join(dir, "mixed/ca"), "--trust", trustFile, "--json"]);
    expect(only.code).toBe(2);
    expect(only.stdout).toBe("");
  });

  it("--trust takes the Exchange export JSON (the list Exchange holds)", async () => {
    const a = write("export/a.eml", good(1));
    const sst = Buffer.from(createSst([{ der: f.root.der }])).toString("base64");
    const exp = write(
      "export/Get-SmimeConfig.json",
      JSON.stringify({ SMIMECertificateIssuingCA: sst, OWADisableCRLCheck: false }),
    );
    const r = await cli(["verify", a, "--trust", exp, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].signers[0].chain.at(-1).source).toBe("trust");
    const empty = write("export/empty.json", JSON.stringify({ SMIMECertificateIssuingCA: null }));
    const e = await cli(["verify", a, "--trust", empty, "--json"]);
    expect(e.code).toBe(2);
    expect(e.stdout).toBe("");
    expect(e.stderr.trim().split("\n")).toHaveLength(1);
    expect(e.stderr).toMatch(
      /--trust: no certificates found \(.*empty\.json: the Exchange export has no trust list/,
    );
  });

  it("reads mbox archives message by message", async () => {
    const box = [
      "From alice@contoso.com Sat Jan  1 00:00:00 2026\n",
      good(1).toString("latin1").replace(/\r\n/g, "\n"),
      "\nFrom x Sat Jan  1 00:00:00 2026\n",
      bad().toString("latin1").replace(/\r\n/g, "\n"),
      "\n",
    ].join("");
    const p = write("box.mbox", Buffer.from(box, "latin1"));
    const r = await cli(["verify", p, "--trust", trustFile, "--json", "--jobs", "1"]);
    const json = JSON.parse(r.stdout) as { file: string; verdict: string }[];
    expect(json.map((x) => x.file)).toEqual([`${p}#1`, `${p}#2`]);
    expect(json.map((x) => x.verdict)).toEqual(["valid", "invalid"]);
  });

  it("--at signing, --profile, and exit 2 for what it cannot run", async () => {
    const a = write("at/a.eml", good(1));
    expect((await cli(["verify", a, "--trust", trustFile, "--at", "signing"])).code).toBe(0);
    const noTrust = await cli(["verify", a]);
    expect(noTrust.code).toBe(2);
    expect(noTrust.stderr).toMatch(/--trust is required/);
    const missing = await cli(["verify", path.join(dir, "nope.eml"), "--trust", trustFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect((await cli(["verify", a, "--trust", trustFile, "--profile", "nonsense"])).code).toBe(2);
    expect((await cli(["verify", a, "--trust", trustFile, "--at", "yesterday-ish"])).code).toBe(2);
    expect((await cli(["verify", a, "--trust", trustFile, "--jobs", "0"])).code).toBe(2);
  });
});

describe("verify options", () => {
  const ALLOWED = ["code", "severity", "message", "hint", "cert"];
  type J = {
    verdict: string;
    problems: Record<string, unknown>[];
    signers: { problems: Record<string, unknown>[]; chain: { source: string }[] }[];
  };
  const allProblems = (j: J) => [...j.problems, ...j.signers.flatMap((s) => s.problems)];

  it("--crl revokes; --untrusted supplies a missing intermediate (source extra); --require-revocation", async () => {
    const noIca = write(
      "opts/no-ica.eml",
      smimeMessage({ from: "alice@contoso.com", signers: [{ signer: f.rsa }], certs: [f.rsa.der] }),
    );
    const missing = await cli(["verify", noIca, "--trust", trustFile, "--json"]);
    expect(missing.code).toBe(1);
    const m = JSON.parse(missing.stdout)[0] as J;
    expect(allProblems(m).map((p) => p.code)).toContain("CHAIN_INCOMPLETE");
    const icaFile = write("opts/ica.pem", f.ca.pem);
    const extra = await cli(["verify", noIca, "--trust", trustFile, "--untrusted", icaFile, "--json"]);
    expect(extra.code).toBe(0);
    const e = JSON.parse(extra.stdout)[0] as J;
    expect(e.signers[0].chain.map((c) => c.source)).toEqual(["message", "extra", "trust"]);

    const msg = write("opts/good.eml", good(1));
    const revoking = write(
      "opts/revoked.crl",
      crl({ issuer: f.ca, revoked: [{ serial: f.rsa.cert.serialNumber }] }),
    );
    const revoked = await cli(["verify", msg, "--trust", trustFile, "--crl", revoking, "--json"]);
    expect(revoked.code).toBe(1);
    const r = JSON.parse(revoked.stdout)[0] as J;
    expect(r.verdict).toBe("invalid");
    expect(allProblems(r).map((p) => p.code)).toContain("CERT_REVOKED");
    for (const p of allProblems(r)) for (const k of Object.keys(p)) expect(ALLOWED).toContain(k);

    // no CRL at all: unknown revocation is a warning by default, an error with --require-revocation
    const plain = JSON.parse((await cli(["verify", msg, "--trust", trustFile, "--json"])).stdout)[0] as J;
    expect(plain.verdict).toBe("valid");
    const strict = await cli(["verify", msg, "--trust", trustFile, "--require-revocation", "--json"]);
    const s = JSON.parse(strict.stdout)[0] as J;
    expect(strict.code).toBe(1);
    expect(s.verdict).toBe("invalid");
    expect(allProblems(s).find((p) => p.code === "REVOCATION_UNKNOWN")?.severity).toBe("error");
    // CRLs for the leaf and the issuing CA (every certificate but the root): status known, valid
    const empty = write("opts/empty.crl", crl({ issuer: f.ca, revoked: [] }));
    const rootCrl = write("opts/root.crl", crl({ issuer: f.root, revoked: [] }));
    const known = await cli([
      "verify",
      msg,
      "--trust",
      trustFile,
      "--crl",
      empty,
      "--crl",
      rootCrl,
      "--require-revocation",
    ]);
    expect(known.stdout).toMatch(/^✓ valid/);
    expect(known.code).toBe(0);
  });
});

describe("--json when the run stops part-way", () => {
  it("stdout still holds one JSON document (the results so far), the reason is one line on stderr, exit 2", async () => {
    const files = [
      write("partial/1.eml", good(1)),
      write("partial/2.eml", good(2)),
      write("partial/3.eml", good(3)),
    ];
    let stdout = "";
    let stderr = "";
    let writes = 0;
    const code = await run(["verify", ...files, "--trust", trustFile, "--json", "--jobs", "1"], {
      out: {
        stdout: (s) => {
          // the second result cannot be written (e.g. a disk that filled up)
          if (++writes === 2)
            throw new FileAccessError("cannot write: no space left on device", { file: "<stdout>" });
          stdout += s;
        },
        stderr: (s) => {
          stderr += s;
        },
        isTTY: false,
        color: false,
      },
      now: () => f.now,
      env: {},
    });
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    const doc = JSON.parse(stdout) as { verdict: string }[];
    expect(doc.map((d) => d.verdict)).toEqual(["valid"]);
  });
});

describe("bulk", () => {
  it("delivers results in input order across worker threads (CLI from source, --jobs 2)", async () => {
    // 3,000 messages: this thread verifies on its own until the worker has started, and from the sources that
    // takes a few hundred of them (with 40, the worker never got one).
    const kinds = [good(1), bad(), "garbage"];
    const kindOf = (i: number) => (i % 7 === 3 ? 1 : i % 11 === 5 ? 2 : 0);
    const names: string[] = [];
    for (let i = 0; i < 3000; i++)
      names.push(write(`workers/${String(i).padStart(4, "0")}.eml`, kinds[kindOf(i)]));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "src/cli/main.ts"),
        "verify",
        path.join(dir, "workers"),
        "--trust",
        trustFile,
        "--json",
        "--jobs",
        "2",
      ],
      {
        cwd: repoRoot,
        maxBuffer: 64 << 20,
      },
    ).catch((e: { stdout: string; code: number }) => {
      expect(e.code).toBe(1);
      return e;
    });
    const json = JSON.parse(stdout) as { file: string; verdict: string }[];
    expect(json.map((x) => x.file)).toEqual(names);
    expect(json.map((x) => x.verdict)).toEqual(names.map((_, i) => ["valid", "invalid", "error"][kindOf(i)]));
  });

  it("text lines and a --jsonl file are the same from worker threads (--jobs 2) as from one thread", () => {
    // Workers send each result rendered (the JSON text, the text line's facts), not the result's objects. 3,000
    // messages: this thread verifies on its own until the worker has started, and from the sources that takes a
    // few hundred of them.
    const kinds = [good(1), bad(), "garbage"];
    const kindOf = (i: number) => (i % 7 === 3 ? 1 : i % 11 === 5 ? 2 : 0);
    const names: string[] = [];
    for (let i = 0; i < 3000; i++)
      names.push(write(`workers-text/${String(i).padStart(4, "0")}.eml`, kinds[kindOf(i)]));
    const runWith = (jobs: string) => {
      const results = path.join(dir, `workers-text-${jobs}.jsonl`);
      const r = spawnCli([
        "verify",
        path.join(dir, "workers-text"),
        "--trust",
        trustFile,
        "--jsonl",
        results,
        "--jobs",
        jobs,
      ]);
      return { ...r, results: readFileSync(results, "utf8") };
    };
    const one = runWith("1");
    const two = runWith("2");
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    const lines = two.stdout.trim().split("\n");
    expect(lines).toHaveLength(3000);
    lines.forEach((l, i) => {
      const kind = kindOf(i);
      expect(l.startsWith(`${["! valid  ", "✗ invalid", "✗ error  "][kind]} ${names[i]}`)).toBe(true);
      // Valid without CRLs: the warning and its fix; invalid: the sender mismatch; both name the signer.
      if (kind !== 2) expect(l).toContain("signed by alice <alice@contoso.com>");
      if (kind === 1) expect(l).toContain("SENDER_MISMATCH:");
      if (kind === 0) expect(l).toMatch(/REVOCATION_UNKNOWN: .* Fix: /);
    });
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    expect(two.results).toBe(one.results);
    expect(two.results.trim().split("\n")).toHaveLength(3000);
  });

  it("reads a message from stdin, and a detached .p7s with --content", async () => {
    const { spawnSync } = await import("node:child_process");
    const main = path.join(repoRoot, "src/cli/main.ts");
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", main, "verify", "-", "--trust", trustFile, "--json"],
      { cwd: repoRoot, input: good(9), encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ file: "<stdin>", verdict: "valid" });
    const r4 = path.resolve(repoRoot, "test/corpora/smime-misc/rfc4134");
    const d = await cli([
      "verify",
      path.join(r4, "4.3.bin"),
      "--content",
      path.join(r4, "ExContent.bin"),
      "--trust",
      path.join(r4, "trust-carl.pem"),
      "--json",
    ]);
    expect(d.code).toBe(0);
    const without = await cli([
      "verify",
      path.join(r4, "4.3.bin"),
      "--trust",
      path.join(r4, "trust-carl.pem"),
      "--json",
    ]);
    expect(without.code).toBe(1);
  });

  it("a message that stops a worker is verdict error; the batch goes on, in order, on a new worker", async () => {
    const run = (mode: string) => runScript("test/smime/crash-run.ts", [mode]);
    const out = run("crash");
    expect(out.error).toBeUndefined();
    const crash = new Set<number>(out.crash);
    expect(out.results.map((x: { i: number; name: string }) => `${x.i}:${x.name}`)).toEqual(
      Array.from({ length: 40 }, (_, i) => `${i}:m${i}`),
    );
    for (const x of out.results as { i: number; verdict: string; codes: string[] }[]) {
      if (crash.has(x.i)) {
        expect(x.verdict).toBe("error");
        expect(x.codes).toEqual(["MALFORMED"]);
      } else expect(x.verdict).toBe("valid");
    }
    // a worker that cannot start fails the batch (exit 2 in the CLI); it does not turn every message into an error
    const bad = run("fail-at-start");
    expect(bad.results).toEqual([]);
    expect(bad.error).toMatch(/before it was ready/);
  });

  it("an unreadable item is an error result; the rest go on", async () => {
    const got: [number, VerifyResult][] = [];
    await verifyBatch(
      [
        { name: "a", bytes: good(1) },
        {
          name: "b",
          load: () => {
            throw new Error("gone");
          },
        },
        { name: "c", bytes: good(2) },
      ],
      { trust: [f.root.der], at: f.now, now: f.now },
      { jobs: 1, onResult: (i, _item, r) => void got.push([i, r]) },
    );
    expect(got.map(([i, r]) => `${i}:${r.verdict}`)).toEqual(["0:valid", "1:error", "2:valid"]);
  });
});

describe("terminal output", () => {
  it("one line per message: mark, file, subject, signer, main problem and its fix; then a summary", async () => {
    const g = write("lines/good.eml", good(1));
    const b = write("lines/bad.eml", bad());
    const r = await cli(["verify", g, b, "--trust", trustFile, ...crlArgs, "--jobs", "1"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^✓ valid\s+\S+good\.eml {2}"good 1" {2}signed by alice <alice@contoso\.com>$/);
    expect(lines[1]).toMatch(
      /^✗ invalid \S+bad\.eml .*signed by alice <alice@contoso\.com> {2}SENDER_MISMATCH: .+ Fix: .+/,
    );
    expect(r.stderr).toBe("2 messages: 1 valid, 1 invalid, 0 unreadable\n");
  });

  it("a progress bar on a terminal for a large batch (stderr only), never with --json or for a few messages", async () => {
    for (let i = 0; i < 55; i++) write(`many/${String(i).padStart(2, "0")}.eml`, good(i));
    const many = path.join(dir, "many");
    const r = await cli(["verify", many, "--trust", trustFile, "--jobs", "1"], { stderrIsTTY: true });
    expect(r.code).toBe(0);
    // messages done, rate, time left (bar by bytes); the last state stays on its own line
    expect(r.stderr).toMatch(/\[-*#*-*\] {2}\d+ messages {2}[\d,]+ msg\/s( {2}ETA \d+:\d\d)?/);
    expect(r.stderr).toMatch(
      new RegExp(`\\[${"#".repeat(30)}\\]  55 messages  [\\d,]+ msg/s  in \\d+:\\d\\d\\n`),
    );
    expect(r.stderr).toContain("55 messages: 55 valid, 0 invalid, 0 unreadable");
    expect(r.stdout).not.toContain("[#");
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(55);
    const piped = await cli(["verify", many, "--trust", trustFile, "--jobs", "1"], { stderrIsTTY: false });
    expect(piped.stderr).not.toContain("[#");
    const json = await cli(["verify", many, "--trust", trustFile, "--jobs", "1", "--json"], {
      stderrIsTTY: true,
    });
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toHaveLength(55);
    const few = await cli(["verify", path.join(dir, "lines/good.eml"), "--trust", trustFile], {
      stderrIsTTY: true,
    });
    expect(few.stderr).not.toContain("[#");
  });
});

describe("chain cache across messages", () => {
  it("validates a signer's chain once for many messages, and the verdicts stay the same", async () => {
    const v = new Verifier({ trust: [f.root.der], at: f.now, now: f.now });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await v.verify(good(i)));
    results.push(await v.verify(bad()));
    expect(results.map((r) => r.verdict)).toEqual(["valid", "valid", "valid", "valid", "valid", "invalid"]);
    expect(v.cache.misses).toBe(1);
    expect(v.cache.hits).toBe(5);
    expect(v.cache.size).toBe(1);
  });
});

describe("a reader that stops early", () => {
  it("ends the run without a stack trace (status 2) when stdout is closed", async () => {
    const { spawn } = await import("node:child_process");
    for (let i = 0; i < 80; i++) write(`pipe/${String(i).padStart(2, "0")}.eml`, good(i));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "src/cli/main.ts"),
        "verify",
        path.join(dir, "pipe"),
        "--trust",
        trustFile,
        "--jobs",
        "1",
      ],
      { cwd: repoRoot },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // The reader goes away before the results come (output into a pipe is written in 64 KiB blocks, so 80
    // short lines arrive at once, when the run ends).
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/\n\s+at |EPIPE|Unhandled/);
    expect(code).toBe(2);
  });
});
