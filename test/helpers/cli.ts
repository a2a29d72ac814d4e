/** Runs the CLI in-process (fast, exact output) or as a real process (real exit status, stdin). */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { run } from "../../src/cli/program.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The clock (ms); default the real one. */
  now?: number;
  env?: NodeJS.ProcessEnv;
  /** Pretend stderr is a terminal (progress bars). */
  stderrIsTTY?: boolean;
}

export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    out: {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      isTTY: false,
      color: false,
      stderrIsTTY: opts.stderrIsTTY ?? false,
    },
    now: () => opts.now ?? Date.now(),
    env: opts.env ?? {},
  });
  return { code, stdout, stderr };
}

/** tsx by absolute URL, so the CLI starts from any working directory. */
export const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/**
 * The node flags of the CLI's first line (`#!/usr/bin/env -S node --flag ...`): a spawned CLI runs with them, as
 * the installed one does.
 */
export const CLI_NODE_FLAGS: readonly string[] = (() => {
  const first = readFileSync(resolve(REPO_ROOT, "src/cli/main.ts"), "utf8").split("\n", 1)[0];
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`src/cli/main.ts: unexpected first line: ${first}`);
  return m[1].split(" ").filter(Boolean);
})();

/** Node's arguments that start the CLI from the sources, as the installed one starts: its flags, tsx, main.ts. */
export const CLI_FROM_SOURCE: readonly string[] = [
  ...CLI_NODE_FLAGS,
  "--import",
  TSX_LOADER,
  resolve(REPO_ROOT, "src/cli/main.ts"),
];

/** The CLI as a child process: `node <its first line's flags> --import tsx src/cli/main.ts ...`. */
export function spawnCli(
  args: string[],
  opts: { input?: Uint8Array | string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [...CLI_FROM_SOURCE, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    input: opts.input,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    encoding: "utf8",
    timeout: 60_000,
    // Large runs print megabytes (spawnSync's default of 1 MiB would cut them off).
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a test script in a process of its own (`node --import tsx test/...`: worker threads need one) and gives
 * the JSON it prints on its last line. A script that fails is a failed expectation with its stderr.
 */
// biome-ignore lint/suspicious/noExplicitAny: the script's JSON, read field by field by the test
export function runScript<T = any>(script: string, args: string[] = []): T {
  const r = spawnSync(process.execPath, ["--import", TSX_LOADER, resolve(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
}

/** A running `serve`: its URL, what it had written to stderr when it was ready, and how to stop it. */
export interface Serving {
  url: string;
  stderr: string;
  /** Sends SIGTERM and resolves with the exit status. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `node <nodeArgs>` (a CLI entry and a `serve` command line) and resolves once it prints its URL and
 * how to stop it; rejects if it exits first.
 */
export function spawnServing(nodeArgs: string[]): Promise<Serving> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const exited = new Promise<number | null>((ok) => child.on("exit", (c) => ok(c)));
  let err = "";
  return new Promise<Serving>((ok, fail) => {
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /serve: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (m && err.includes("Ctrl-C stops it"))
        ok({
          url: m[1],
          stderr: err,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
    });
    void exited.then(() => fail(new Error(`exited early: ${err}`)));
  });
}
