/**
 * What the benchmarks that run the built CLI as a process share: the node flags of its first line (so it runs as
 * installed), the environment it runs in, and a small --import hook that writes the process's resource usage at
 * exit.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What the hook writes to the file named by BENCH_RUSAGE_FILE when the CLI exits. */
export interface Rusage {
  /** CPU seconds of every thread of the process, worker threads included (getrusage(RUSAGE_SELF)). */
  user: number;
  sys: number;
  /** Peak resident memory in bytes (VmHWM). */
  hwm: number;
  /** Minor page faults (first touches of memory): costly on some virtual machines. */
  faults: number;
}

/** Writes the hook into `dir` and gives its path; run the CLI with `--import <its URL>` and BENCH_RUSAGE_FILE set. */
export function writeRusageHook(dir: string): string {
  const hook = path.join(dir, "rusage-hook.mjs");
  writeFileSync(
    hook,
    `import { readFileSync, writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
const out = process.env.BENCH_RUSAGE_FILE;
if (isMainThread && out)
  process.on("exit", () => {
    // getrusage(RUSAGE_SELF) at exit: every thread of this process, worker threads included.
    const r = process.resourceUsage();
    let hwm = r.maxRSS * 1024;
    try {
      const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
      if (m) hwm = Number(m[1]) * 1024;
    } catch {}
    writeFileSync(out, JSON.stringify({ user: r.userCPUTime / 1e6, sys: r.systemCPUTime / 1e6, hwm, faults: r.minorPageFault }));
  });
`,
  );
  return hook;
}

/** The node flags the CLI's own first line gives (`#!/usr/bin/env -S node --flag`). */
export function cliShebangFlags(cli: string): string[] {
  const first = readFileSync(cli, "utf8").split("\n", 1)[0];
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * The environment the CLI runs in: this one, without colour and without NODE_EXTRA_CA_CERTS. That variable makes
 * every Node process parse a bundle of CA certificates at start (this project's sandbox sets it for its proxy:
 * ~140 certificates, +0.08 s CPU per process); it is the machine's setting, not smimetrust's work. `dropped` says
 * whether it was set.
 */
export function cliEnv(): { env: NodeJS.ProcessEnv; dropped: boolean } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  const dropped = env.NODE_EXTRA_CA_CERTS !== undefined;
  delete env.NODE_EXTRA_CA_CERTS;
  return { env, dropped };
}
