/**
 * The CLI's first line (`#!/usr/bin/env -S NAME=value node --flag ...`) must work on every Node the CLI supports,
 * and as the system runs an installed command: through env, which sets the variables and starts node.
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/options.js";
import { CLI_ENV, CLI_FIRST_LINE, CLI_NODE_FLAGS, cliEnv, spawnCli } from "../helpers/cli.js";
import { tempFolder } from "../helpers/temp.js";

const t = tempFolder("smimetrust-first-line-");

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

  it("run by the system as an installed command, sets its environment and starts node with its flags", () => {
    // glibc's huge-page tunable (see src/cli/main.ts): a variable the line sets, not a flag node would refuse.
    expect(CLI_ENV.GLIBC_TUNABLES).toBe("glibc.malloc.hugetlb=1");
    const script = t.write(
      "first-line.mjs",
      `${CLI_FIRST_LINE}\nconsole.log(JSON.stringify({ flags: process.execArgv, env: process.env.GLIBC_TUNABLES }));\n`,
    );
    chmodSync(script, 0o755);
    // Executed as a file: the kernel reads the first line and runs env with it.
    const r = spawnSync(script, [], { encoding: "utf8", env: { ...cliEnv(), GLIBC_TUNABLES: "caller's" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ flags: CLI_NODE_FLAGS, env: CLI_ENV.GLIBC_TUNABLES });
  });
});
