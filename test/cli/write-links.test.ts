/**
 * Issue 9, "Files": `build --force` never follows a symbolic link when it writes the backup or the output. A
 * link planted at `<output>.bak` is refused (its target untouched, nothing written); an output that is itself
 * a link is refused (neither written through nor replaced); the backup is a regular file with the old bytes.
 */

import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../certs/openssl.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const NOW = Date.UTC(2026, 5, 1);
const t = tempDir("smimetrust-links-");
afterAll(() => t.cleanup());

const r1 = root("CN=Link Root One,O=Test", { now: NOW });
const r2 = root("CN=Link Root Two,O=Test", { now: NOW });

function setup(name: string) {
  const d = t.path(name);
  mkdirSync(d);
  const in1 = join(d, "one.pem");
  const in2 = join(d, "two.pem");
  writeFileSync(in1, r1.pem);
  writeFileSync(in2, r2.pem);
  const victim = join(d, "victim.txt");
  writeFileSync(victim, "precious\n");
  return { d, in1, in2, victim, out: join(d, "trust.sst") };
}

describe("build --force and symbolic links", () => {
  it("a link planted at <output>.bak is refused before anything is written; its target is untouched", async () => {
    const s = setup("bak-link");
    expect((await cli(["build", s.in1, "-o", s.out], { now: NOW })).code).toBe(0);
    const first = readFileSync(s.out);
    symlinkSync(s.victim, `${s.out}.bak`);
    const res = await cli(["build", s.in2, "-o", s.out, "--force"], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /trust\.sst\.bak: is a symbolic link \(to '.*victim\.txt'\).*nothing was written/,
    );
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(s.victim, "utf8")).toBe("precious\n");
    expect(readFileSync(s.out)).toEqual(first);
    expect(readlinkSync(`${s.out}.bak`)).toBe(s.victim);
    expect(readdirSync(s.d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a dangling link at <output>.bak is refused too (it would create a file where the link points)", async () => {
    const s = setup("bak-dangling");
    expect((await cli(["build", s.in1, "-o", s.out], { now: NOW })).code).toBe(0);
    const elsewhere = join(s.d, "created-through-link");
    symlinkSync(elsewhere, `${s.out}.bak`);
    const res = await cli(["build", s.in2, "-o", s.out, "--force"], { now: NOW });
    expect(res.code).toBe(2);
    expect(existsSync(elsewhere)).toBe(false);
  });

  it("a folder or a FIFO at <output>.bak is refused", async () => {
    const s = setup("bak-special");
    expect((await cli(["build", s.in1, "-o", s.out], { now: NOW })).code).toBe(0);
    mkdirSync(`${s.out}.bak`);
    const res = await cli(["build", s.in2, "-o", s.out, "--force"], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/trust\.sst\.bak: exists and is not a regular file/);
    const s2 = setup("bak-fifo");
    expect((await cli(["build", s2.in1, "-o", s2.out], { now: NOW })).code).toBe(0);
    try {
      execFileSync("mkfifo", [`${s2.out}.bak`]);
    } catch {
      return; // no mkfifo on this system
    }
    const r2res = await cli(["build", s2.in2, "-o", s2.out, "--force"], { now: NOW });
    expect(r2res.code).toBe(2);
    expect(r2res.stderr).toMatch(/not a regular file/);
  });

  it("the output itself a link: refused with or without --force; neither the link nor its target changes", async () => {
    const s = setup("out-link");
    const real = join(s.d, "real.sst");
    expect((await cli(["build", s.in1, "-o", real], { now: NOW })).code).toBe(0);
    const before = readFileSync(real);
    symlinkSync(real, s.out);
    for (const extra of [[], ["--force"]]) {
      const res = await cli(["build", s.in2, "-o", s.out, ...extra], { now: NOW });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        /trust\.sst: is a symbolic link \(to '.*real\.sst'\); smimetrust never writes through a link nor replaces one/,
      );
    }
    expect(lstatSync(s.out).isSymbolicLink()).toBe(true);
    expect(readFileSync(real)).toEqual(before);
    expect(existsSync(`${s.out}.bak`)).toBe(false);
    // A dangling link at the output name is refused as well.
    const dangling = join(s.d, "dangling.sst");
    symlinkSync(join(s.d, "nowhere.sst"), dangling);
    const res = await cli(["build", s.in2, "-o", dangling], { now: NOW });
    expect(res.code).toBe(2);
    expect(existsSync(join(s.d, "nowhere.sst"))).toBe(false);
  });

  it("a normal --force keeps the old file as a regular <output>.bak (spawned)", () => {
    const s = setup("normal");
    expect(spawnCli(["build", s.in1, "-o", s.out]).code).toBe(0);
    const first = readFileSync(s.out);
    writeFileSync(`${s.out}.bak`, "an older backup");
    const res = spawnCli(["build", s.in2, "-o", s.out, "--force"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/the previous file is kept as .*trust\.sst\.bak/);
    expect(lstatSync(`${s.out}.bak`).isFile()).toBe(true);
    expect(readFileSync(`${s.out}.bak`)).toEqual(first);
    expect(readdirSync(s.d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("exchange script: a link at the script's name is refused before the .sst is written", async () => {
    const s = setup("exchange");
    const config = join(s.d, "smime.config.json");
    writeFileSync(config, JSON.stringify({ trust: [s.in1], settings: {} }));
    const ps1 = join(s.d, "apply.ps1");
    symlinkSync(s.victim, ps1);
    const res = await cli(["exchange", "script", "--config", config, "-o", ps1, "--force"], { now: NOW });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/apply\.ps1: is a symbolic link/);
    expect(readFileSync(s.victim, "utf8")).toBe("precious\n");
    expect(existsSync(join(s.d, "apply.sst"))).toBe(false);
  });
});
