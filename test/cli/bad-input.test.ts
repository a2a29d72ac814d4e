/**
 * Bad input through the real CLI process: one line on stderr naming the file and the fault (with the
 * byte offset for binary formats), exit status 2, no stack trace, and no output file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSst } from "../../src/formats/sst.js";
import { makeOpensslPki, openssl, tempDir } from "../certs/openssl.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { intermediate, root } from "../helpers/pki.js";

const r = root("CN=Bad Input Root");
const i = intermediate("CN=Bad Input Issuing", r);
const t = tempDir("smimetrust-bad-");

beforeAll(() => {
  const sst = createSst([{ der: r.der }, { der: i.der }]);
  writeFileSync(t.path("good.sst"), sst);
  writeFileSync(t.path("truncated.sst"), sst.subarray(0, sst.length - 100));
  const corrupted = Uint8Array.from(sst);
  new DataView(corrupted.buffer).setUint32(8 + 12 + 20 + 8, 0x00ffffff, true); // the first certificate's length
  writeFileSync(t.path("corrupted.sst"), corrupted);
  writeFileSync(
    t.path("random.bin"),
    Uint8Array.from({ length: 300 }, (_, k) => ((k * 181 + 97) % 256) | 0x80),
  );
  writeFileSync(t.path("empty.cer"), new Uint8Array(0));
  const lines = r.pem.split("\n");
  lines[2] = `${lines[2].slice(0, 5)}*#${lines[2].slice(7)}`;
  writeFileSync(t.path("broken.pem"), lines.join("\n"));
  writeFileSync(t.path("ok.pem"), r.pem);
  openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    t.path("key-only.pem"),
  ]);
  makeOpensslPki(t.dir, { caName: "Bad Input PFX CA" });
  openssl(
    [
      "pkcs12",
      "-export",
      "-in",
      "user.pem",
      "-inkey",
      "user.key",
      "-certfile",
      "ca.pem",
      "-passout",
      "pass:right",
      "-out",
      "user.pfx",
    ],
    { cwd: t.dir },
  );
  openssl(
    [
      "pkcs12",
      "-export",
      "-legacy",
      "-in",
      "user.pem",
      "-inkey",
      "user.key",
      "-certfile",
      "ca.pem",
      "-passout",
      "pass:right",
      "-out",
      "legacy.pfx",
    ],
    { cwd: t.dir },
  );
});
afterAll(() => t.cleanup());

function expectOneLine(res: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  expect(res.code).toBe(2);
  expect(res.stdout).toBe("");
  const lines = res.stderr.split("\n").filter((l) => l.length > 0);
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(res.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
}

const CASES: [string, RegExp][] = [
  [
    "truncated.sst",
    /^smimetrust: .*truncated\.sst: malformed \.sst: record 32 claims \d+ bytes but only \d+ remain \(at byte \d+\)$/,
  ],
  [
    "corrupted.sst",
    /^smimetrust: .*corrupted\.sst: malformed \.sst: record 32 claims 16777215 bytes but only \d+ remain \(at byte 40\)$/,
  ],
  ["random.bin", /^smimetrust: .*random\.bin: not a certificate container .* \(at byte 0\)$/],
  ["empty.cer", /^smimetrust: .*empty\.cer: empty input, no certificates$/],
  ["broken.pem", /^smimetrust: .*broken\.pem: broken base64 in PEM block 'CERTIFICATE' \(at byte \d+\)$/],
  ["key-only.pem", /^smimetrust: .*key-only\.pem: no certificates, .*'PRIVATE KEY'.*never read or stored\)$/],
];

describe("bad input through the CLI", () => {
  for (const [file, re] of CASES) {
    it(`build: ${file} -> one line, exit 2, no output file`, async () => {
      const out = t.path(`out-${file}.sst`);
      const res = await cli(["build", t.path("ok.pem"), t.path(file), "-o", out]);
      expectOneLine(res, re);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("inspect: the same faults give the same one line and exit 2", async () => {
    for (const [file, re] of CASES) expectOneLine(await cli(["inspect", t.path(file)]), re);
  });

  it("the broken PEM's offset is the first bad character", async () => {
    const res = await cli(["inspect", t.path("broken.pem")]);
    const at = Number(/at byte (\d+)/.exec(res.stderr)?.[1]);
    const text = r.pem.split("\n");
    expect(at).toBe(text[0].length + 1 + text[1].length + 1 + 5);
  });

  it("a PFX with the wrong password: one line, exit 2, no output file", async () => {
    for (const f of ["user.pfx", "legacy.pfx"]) {
      const out = t.path(`out-${f}.sst`);
      const res = await cli(["build", t.path(f), "-o", out, "--password", "wrong"]);
      expectOneLine(res, new RegExp(`^smimetrust: .*${f.replace(".", "\\.")}: wrong password for PKCS#12$`));
      expect(existsSync(out)).toBe(false);
    }
  });

  it("a PFX without a password: says to use --password or SMIMETRUST_PFX_PASSWORD", async () => {
    expectOneLine(
      await cli(["inspect", t.path("user.pfx")]),
      /user\.pfx: .*needs a password.*--password.*SMIMETRUST_PFX_PASSWORD/,
    );
  });

  it("a PFX with the right password (option or environment): the chain is read and the key reported as ignored", async () => {
    const out = t.path("from-pfx.sst");
    const res = await cli(["build", t.path("legacy.pfx"), "-o", out], {
      env: { SMIMETRUST_PFX_PASSWORD: "right" },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("warning: ");
    expect(res.stderr).toMatch(/legacy\.pfx: ignored 1 private key \(never extracted or stored\)/);
    expect(res.stderr).toMatch(/left out 'Test PFX User'/);
    expect(existsSync(out)).toBe(true);
    const ins = await cli(["inspect", "--json", "--password", "right", t.path("user.pfx")]);
    expect(ins.code).toBe(0);
    expect(JSON.parse(ins.stdout).map((c: { subject: string }) => c.subject)).toEqual([
      "CN=Test PFX User",
      "CN=Bad Input PFX CA",
    ]);
  });

  it("chain reads its certificate from a PFX with --password or SMIMETRUST_PFX_PASSWORD; a wrong one is exit 2", async () => {
    const args = ["chain", t.path("user.pfx"), "--trust", t.path("ca.pem"), "--json"];
    for (const [extra, env] of [
      [["--password", "right"], {}],
      [[], { SMIMETRUST_PFX_PASSWORD: "right" }],
    ] as [string[], Record<string, string>][]) {
      const res = await cli([...args, ...extra], { env });
      expect(res.code, res.stderr).toBe(0);
      const doc = JSON.parse(res.stdout);
      expect(doc.verdict).toBe("valid");
      expect(doc.path.map((p: { subject: string }) => p.subject)).toEqual([
        "CN=Test PFX User",
        "CN=Bad Input PFX CA",
      ]);
      expect(res.stderr).toMatch(/ignored 1 private key/);
    }
    expectOneLine(await cli([...args, "--password", "wrong"]), /user\.pfx: wrong password for PKCS#12$/);
  });

  it("a missing file: one line, exit 2", async () => {
    expectOneLine(
      await cli(["inspect", t.path("nope.pem")]),
      /nope\.pem: cannot read: no such file or folder$/,
    );
  });

  it("a bad file inside a folder is skipped with a warning, the rest is read", async () => {
    const res = await cli(["inspect", "--json", t.dir]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: skipped .*random\.bin: not a certificate container/);
  });

  it("chain: a certificate file or trust list without a certificate: one line, exit 2", async () => {
    for (const args of [
      ["chain", t.path("key-only.pem"), "--trust", t.path("ok.pem")],
      ["chain", t.path("ok.pem"), "--trust", t.path("key-only.pem")],
      ["chain", t.path("random.bin"), "--trust", t.path("ok.pem")],
      ["chain", t.path("ok.pem"), "--trust", t.path("empty.cer")],
      ["chain", t.path("ok.pem"), "--trust", t.path("ok.pem"), "--crl", t.path("truncated.sst")],
    ])
      expectOneLine(
        await cli(args),
        /^smimetrust: .*(key-only\.pem|random\.bin|empty\.cer|truncated\.sst): /,
      );
    for (const json of [[], ["--json"]]) {
      const res = await cli([
        "chain",
        t.path("ok.pem"),
        "--trust",
        t.path("ok.pem"),
        "--at",
        "yesterday",
        ...json,
      ]);
      expectOneLine(res, /^smimetrust: --at: 'yesterday' /);
    }
  });
});

describe("build's output path: one line, exit 2, nothing replaced or left behind", () => {
  const listing = () => readdirSync(t.dir).sort();

  it("a folder as -o, with or without --force: refused, the folder untouched", async () => {
    mkdirSync(t.path("out-folder"), { recursive: true });
    writeFileSync(t.path("out-folder/keep.txt"), "keep");
    const before = listing();
    for (const force of [[], ["--force"]]) {
      expectOneLine(
        await cli(["build", t.path("ok.pem"), "-o", t.path("out-folder"), ...force]),
        /out-folder: is a folder/,
      );
      expect(statSync(t.path("out-folder")).isDirectory()).toBe(true);
      expect(readdirSync(t.path("out-folder"))).toEqual(["keep.txt"]);
    }
    expect(listing()).toEqual(before);
  });

  it("a folder that does not exist, or a file used as a folder: refused before anything is read or written", async () => {
    const before = listing();
    expectOneLine(
      await cli(["build", t.path("ok.pem"), "-o", t.path("no-such-dir/x.sst")]),
      /no-such-dir\/x\.sst: cannot write: /,
    );
    expectOneLine(
      await cli(["build", t.path("ok.pem"), "-o", t.path("ok.pem/x.sst")]),
      /ok\.pem\/x\.sst: cannot write: /,
    );
    expect(listing()).toEqual(before);
  });

  it("a special file (a named pipe) is never replaced, even with --force", async () => {
    const fifo = t.path("pipe");
    execFileSync("mkfifo", [fifo]);
    expectOneLine(
      await cli(["build", t.path("ok.pem"), "-o", fifo, "--force"]),
      /pipe: is not a regular file/,
    );
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it("a successful write leaves no temporary file beside the output", async () => {
    const out = t.path("atomic/trust.sst");
    mkdirSync(t.path("atomic"), { recursive: true });
    const res = await cli(["build", t.path("ok.pem"), "-o", out]);
    expect(res.code).toBe(0);
    expect(readdirSync(t.path("atomic"))).toEqual(["trust.sst"]);
    const again = await cli(["build", t.path("ok.pem"), "-o", out, "--force"]);
    expect(again.code).toBe(0);
    // Replacing keeps the previous file as .bak, and nothing else.
    expect(readdirSync(t.path("atomic"))).toEqual(["trust.sst", "trust.sst.bak"]);
  });
});

/** The same refusals from a real process: its exit status, stderr alone, and no stack trace. */
describe("bad input as a real process", () => {
  it("build with a truncated .sst: one line, exit 2, no output file", () => {
    const out = t.path("out-spawned.sst");
    expectOneLine(spawnCli(["build", t.path("ok.pem"), t.path("truncated.sst"), "-o", out]), CASES[0][1]);
    expect(existsSync(out)).toBe(false);
  });

  it("inspect of a PFX with the wrong password: one line, exit 2", () => {
    expectOneLine(
      spawnCli(["inspect", t.path("user.pfx"), "--password", "wrong"]),
      /user\.pfx: wrong password for PKCS#12$/,
    );
  });
});
