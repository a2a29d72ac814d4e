/**
 * Inputs that never end or never start: a character device (/dev/zero), a named pipe with no writer, and
 * stdin fed from /dev/zero. Each is refused with one line and exit 2, at once (devices and pipes) or at the
 * first byte past the size limit (stdin), by the one reading primitive (src/cli/io.ts readInputFile /
 * readStdin); never read until memory runs out, never blocked for ever.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileAccessError, LimitExceededError, UsageError } from "../../src/errors.js";
import { readInputFile, readStdin } from "../../src/io/files.js";
import { loadMonitorConfig } from "../../src/monitor/config.js";
import { type CliResult, cli, REPO_ROOT, spawnCli, TSX_LOADER } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const dir = mkdtempSync(join(tmpdir(), "smimetrust-endless-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, "pipe.pem");
execFileSync("mkfifo", [fifo]);
const r = root("CN=Endless Root");
const rootPem = join(dir, "root.pem");
writeFileSync(rootPem, r.pem);

/** The CLI as a child process with stdin read from `stdinPath` (a shell's `< file`). */
function spawnWithStdin(args: string[], stdinPath: string): CliResult & { ms: number } {
  const fd = openSync(stdinPath, "r");
  const started = Date.now();
  try {
    const p = spawnSync(
      process.execPath,
      ["--import", TSX_LOADER, resolve(REPO_ROOT, "src/cli/main.ts"), ...args],
      {
        cwd: REPO_ROOT,
        stdio: [fd, "pipe", "pipe"],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        encoding: "utf8",
        timeout: 60_000,
        maxBuffer: 1024 * 1024,
      },
    );
    return { code: p.status ?? -1, stdout: p.stdout, stderr: p.stderr, ms: Date.now() - started };
  } finally {
    closeSync(fd);
  }
}

function oneLine(res: CliResult): string {
  const lines = res.stderr.trimEnd().split("\n");
  expect(lines, res.stderr).toHaveLength(1);
  return lines[0];
}

describe("endless inputs, as a real process", () => {
  it("inspect /dev/zero: a character device, refused before reading", () => {
    const res = spawnCli(["inspect", "/dev/zero"]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(oneLine(res)).toBe(
      "smimetrust: /dev/zero: cannot read: is a character device (such as /dev/zero or a terminal), not a file",
    );
  });

  it("verify /dev/zero: refused before any message is read", () => {
    const res = spawnCli(["verify", "/dev/zero", "--trust", rootPem]);
    expect(res.code).toBe(2);
    expect(oneLine(res)).toMatch(/^smimetrust: \/dev\/zero: cannot read: is a character device/);
  });

  it("inspect - < /dev/zero: stdin read up to the size limit and refused there", () => {
    const res = spawnWithStdin(["inspect", "-"], "/dev/zero");
    expect(res.code).toBe(2);
    expect(res.stdout).toBe("");
    expect(oneLine(res)).toBe("smimetrust: <stdin>: input is larger than the limit of 268,435,456 bytes");
  });

  it("a named pipe with no writer: refused at once instead of waiting for ever (inspect, verify)", () => {
    const a = spawnCli(["inspect", fifo]);
    expect(a.code).toBe(2);
    expect(oneLine(a)).toBe(
      `smimetrust: ${fifo}: cannot read: is a named pipe (FIFO), which may never end; to read from a pipe, give - and send it to standard input`,
    );
    const b = spawnCli(["verify", fifo, "--trust", rootPem]);
    expect(b.code).toBe(2);
    expect(oneLine(b)).toMatch(/cannot read: is a named pipe \(FIFO\)/);
  });

  it("a pipe given as - (stdin) is read", () => {
    const res = spawnCli(["inspect", "-", "--json"], { input: r.pem });
    expect(res.code).toBe(0);
    expect((JSON.parse(res.stdout) as { sha1: string }[]).map((c) => c.sha1)).toEqual([r.cert.sha1]);
  });
});

describe("every command that reads inputs refuses devices and pipes (in-process)", () => {
  const cases: [string, string[]][] = [
    ["build", ["build", "/dev/zero", "-o", join(dir, "out.sst")]],
    ["check", ["check", "/dev/zero"]],
    ["check --leaf", ["check", rootPem, "--leaf", fifo]],
    ["diff", ["diff", rootPem, fifo]],
    ["chain --trust", ["chain", rootPem, "--trust", "/dev/zero"]],
    ["chain --crl", ["chain", rootPem, "--trust", rootPem, "--crl", fifo]],
    ["verify --trust", ["verify", join(dir, "none.eml"), "--trust", fifo]],
    ["verify --crl", ["verify", join(dir, "none.eml"), "--trust", rootPem, "--crl", "/dev/zero"]],
    ["verify --content", ["verify", rootPem, "--content", "/dev/zero", "--trust", rootPem]],
    ["exchange plan --current", ["exchange", "plan", "--current", "/dev/zero"]],
    ["exchange script --config", ["exchange", "script", "-o", join(dir, "x.ps1"), "--config", fifo]],
  ];
  for (const [what, args] of cases) {
    it(what, async () => {
      const res = await cli(args);
      expect(res.code, res.stderr).toBe(2);
      expect(oneLine(res)).toMatch(
        /^smimetrust: (\/dev\/zero: cannot read: is a character device|.*pipe\.pem: cannot read: is a named pipe)/,
      );
    });
  }

  it("monitor: a configuration that is a device", () => {
    expect(() => loadMonitorConfig("/dev/zero", () => true)).toThrow(UsageError);
    expect(() => loadMonitorConfig("/dev/zero", () => true)).toThrow(
      /cannot read the configuration: is a character device/,
    );
  });
});

describe("the reading primitive", () => {
  it("a file over the limit is refused from its size, without reading it", () => {
    const big = join(dir, "big.pem");
    writeFileSync(big, "");
    truncateSync(big, 256 * 1024 * 1024 + 1); // sparse: no disk used
    expect(() => readInputFile(big)).toThrow(LimitExceededError);
    expect(() => readInputFile(big)).toThrow("input is larger than the limit of 268,435,456 bytes");
  });

  it("reads a file exactly at the limit, and refuses one byte more", () => {
    const f = join(dir, "ten.bin");
    writeFileSync(f, "0123456789");
    expect(Buffer.from(readInputFile(f, 10)).toString()).toBe("0123456789");
    expect(() => readInputFile(f, 9)).toThrow(LimitExceededError);
  });

  it("folders and missing files: one typed error each", () => {
    expect(() => readInputFile(dir)).toThrow(FileAccessError);
    expect(() => readInputFile(dir)).toThrow("cannot read: is a folder");
    expect(() => readInputFile(join(dir, "missing"))).toThrow("cannot read: no such file or folder");
  });

  it("readStdin stops at the first byte past the limit of an endless stream", async () => {
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 1000;
        yield Buffer.alloc(1000);
      }
    }
    const { Readable } = await import("node:stream");
    await expect(readStdin(Readable.from(endless()), 10_000)).rejects.toThrow(LimitExceededError);
    expect(produced).toBeLessThanOrEqual(11_000 + 16 * 1000);
  });
});
