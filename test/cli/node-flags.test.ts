/**
 * The CLI's first line (`#!/usr/bin/env -S node ...`): its node flags must work on every Node the CLI supports,
 * and every way the command is installed must read it as node and those flags.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/options.js";
import { CLI_NODE_FLAGS, REPO_ROOT, spawnCli } from "../helpers/cli.js";

/**
 * How npm reads a command's first line to write its Windows shims (cmd-shim 8, lib/index.js, as npm 11 bundles
 * it): `env`, then NAME=value pairs whose value holds no "=", then the program and its arguments. A variable
 * set there with "=" in its value (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) would be taken for the program, and
 * the installed command would not start on Windows.
 */
const CMD_SHIM_SHEBANG = /^#!\s*(?:\/usr\/bin\/env\s+(?:-S\s+)?((?:[^ \t=]+=[^ \t=]+\s+)*))?([^ \t]+)(.*)$/;

describe("the CLI's first line", () => {
  it("gives node flags this Node accepts, and the spawned CLI (as installed) starts with them", () => {
    expect(CLI_NODE_FLAGS.length).toBeGreaterThan(0);
    const r = spawnSync(process.execPath, [...CLI_NODE_FLAGS, "-p", "JSON.stringify(process.execArgv)"], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // execArgv: the flags, then -p and its script.
    expect(JSON.parse(r.stdout).slice(0, CLI_NODE_FLAGS.length)).toEqual(CLI_NODE_FLAGS);
    const v = spawnCli(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(VERSION);
  });

  it("is read by npm's Windows shims as node and these flags", () => {
    const first = readFileSync(path.join(REPO_ROOT, "src/cli/main.ts"), "utf8").split("\n", 1)[0];
    const m = CMD_SHIM_SHEBANG.exec(first);
    expect(m).not.toBeNull();
    expect(m![1] ?? "").toBe("");
    expect(m![2]).toBe("node");
    expect(m![3].trim().split(/\s+/)).toEqual(CLI_NODE_FLAGS);
  });
});
