/** The node flags on the CLI's first line (`#!/usr/bin/env -S node ...`) must work on every Node the CLI supports. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/cli/options.js";
import { CLI_NODE_FLAGS, spawnCli } from "../helpers/cli.js";

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
});
