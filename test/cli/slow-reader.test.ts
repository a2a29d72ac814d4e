/**
 * Output into a pipe whose reader is slower than the run (`verify --jsonl - archive.mbox | slow-program`): the
 * CLI waits for the reader instead of holding the output in memory. Before, it verified on and kept every line
 * the pipe had not taken: 85 MB for 50,000 messages with a reader that paused, and so without bound for a
 * bigger archive.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_FROM_SOURCE, REPO_ROOT, spawnCli } from "../helpers/cli.js";
import { emlCopies, OUTLOOK_TRUST_ARGS } from "../helpers/outlook-fixtures.js";
import { tempFolder } from "../helpers/temp.js";

const t = tempFolder("smimetrust-slow-reader-");
const N = 3000;
const mail = path.join(t.dir, "mail");
// The same signed message under 3,000 names: some 3 MB of results lines, well past what the CLI lets wait.
emlCopies(mail, ["rsa-clear-signed"], N);
const verifyArgs = (jobs: string) => ["verify", mail, ...OUTLOOK_TRUST_ARGS, "--jsonl", "-", "--jobs", jobs];
const countsLine = new RegExp(`^${N} messages: ${N} valid`, "m");

describe("verify into a pipe whose reader pauses", () => {
  // --jobs 1 (this thread alone) and --jobs 2 (the worker pool) deliver results by different paths.
  it.each(["1", "2"])(
    "--jobs %s waits for the reader (no end while it pauses), then writes every line",
    async (jobs) => {
      // How long the run takes when nothing holds it back (standard output read at once).
      const started = Date.now();
      const free = spawnCli(verifyArgs(jobs));
      const took = Date.now() - started;
      expect(free.code).toBe(0);
      expect(free.stderr).toMatch(countsLine);
      const lines = free.stdout.trim().split("\n");
      expect(lines).toHaveLength(N);
      expect(free.stdout.length).toBeGreaterThan(2 * 1024 * 1024);

      const child = spawn(process.execPath, [...CLI_FROM_SOURCE, ...verifyArgs(jobs)], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      const exited = new Promise<number | null>((ok) => child.on("exit", (c) => ok(c)));
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
      });
      // Nothing reads standard output for twice the free run's time: the CLI must still be waiting for its reader,
      // not done with its counts line and the output held in memory.
      child.stdout.pause();
      await new Promise((r) => setTimeout(r, 2 * took + 2000));
      expect(stderr).not.toMatch(countsLine);
      const out: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stdout.resume();
      expect(await exited).toBe(0);
      expect(stderr).toMatch(countsLine);
      expect(Buffer.concat(out).toString()).toBe(free.stdout);
    },
    120_000,
  );
});
