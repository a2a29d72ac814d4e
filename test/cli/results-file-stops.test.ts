/**
 * A results file (`verify --jsonl FILE`) holds lines back to write them in groups. A run stopped by a signal
 * (Ctrl-C, a Kubernetes pod stopped, the terminal closed) writes what it holds before it stops, says how many
 * results the file has, and stops by that same signal (a shell's loop stops on Ctrl-C as it would without the
 * handler); `--resume` then goes on after the last message verified. A write that fails (a full disk, a file
 * size limit), in the run or on the timer that writes held lines, stops the run with one line and exit 2.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CLI_FROM_SOURCE, REPO_ROOT, spawnCli } from "../helpers/cli.js";
import { emlCopies, OUTLOOK_FX, OUTLOOK_TRUST_ARGS } from "../helpers/outlook-fixtures.js";
import { tempFolder } from "../helpers/temp.js";

const t = tempFolder("smimetrust-interrupt-");
const N = 3000;
const mail = path.join(t.dir, "mail");
emlCopies(mail, ["rsa-clear-signed"], N);
const verifyArgs = (results: string, jobs: string, resume: boolean) => [
  "verify",
  mail,
  ...OUTLOOK_TRUST_ARGS,
  "--jsonl",
  results,
  ...(resume ? ["--resume", results] : []),
  "--jobs",
  jobs,
];

const linesOf = (file: string) => readFileSync(file, "utf8").split("\n").slice(0, -1);

describe("verify --jsonl FILE stopped by a signal", () => {
  it.each([
    ["SIGINT", "1"],
    ["SIGTERM", "2"],
  ] as const)(
    "%s (--jobs %s): the file holds every result the CLI reports, whole lines, and --resume completes the run",
    async (signal, jobs) => {
      const results = path.join(t.dir, `results-${signal}.jsonl`);
      const child = spawn(process.execPath, [...CLI_FROM_SOURCE, ...verifyArgs(results, jobs, false)], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
        child.on("exit", (code, sig) => ok({ code, signal: sig })),
      );
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
      });
      child.stdout.resume();
      // The signal comes once the first group of results is in the file: the run is under way, with more held.
      while (!(existsSync(results) && statSync(results).size > 0))
        await new Promise((r) => setTimeout(r, 10));
      child.kill(signal);
      const end = await exited;
      expect(end).toEqual({ code: null, signal });
      const m =
        /^smimetrust: interrupted \((SIG[A-Z]+)\): the results of (\d+) messages verified are in (.+); give --resume \3 to go on$/m.exec(
          stderr,
        );
      expect(m?.[1]).toBe(signal);
      const reported = Number(m?.[2]);
      // Stopped part-way (not after the last message, so the resume below has work to do).
      expect(stderr).not.toMatch(/^\d+ messages: /m);
      expect(reported).toBeGreaterThan(0);
      expect(reported).toBeLessThan(N);
      const lines = linesOf(results);
      expect(lines).toHaveLength(reported);
      // Whole lines, each a results object of a message in input order.
      lines.forEach((l, i) => {
        const r = JSON.parse(l) as { index: number; name: string; verdict: string };
        expect(r.index).toBe(i);
        expect(r.verdict).toBe("valid");
      });

      const again = spawnCli(verifyArgs(results, jobs, true));
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(`resumed: ${reported} messages already in ${results}`);
      expect(again.stderr).toMatch(new RegExp(`^${N} messages: ${N} valid`, "m"));
      const all = linesOf(results).map((l) => (JSON.parse(l) as { name: string }).name);
      expect(all).toHaveLength(N);
      expect(new Set(all).size).toBe(N);
    },
    120_000,
  );
});

describe("verify --jsonl FILE that cannot be written", () => {
  // A file size limit (bash's ulimit -f, in KiB) makes the writes fail with EFBIG, as a full disk would.
  const shell = (limitKib: number, args: string[]) =>
    `ulimit -f ${limitKib}; exec ${[process.execPath, ...CLI_FROM_SOURCE, ...args].map((a) => `'${a}'`).join(" ")}`;
  const oneLineNamingFile = (stderr: string, file: string) => {
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^smimetrust: .*cannot write: /);
    expect(lines[0]).toContain(file);
    expect(stderr).not.toMatch(/^\s+at /m);
  };

  it("a write in the run fails: one line naming the file, exit 2", () => {
    const results = path.join(t.dir, "limited.jsonl");
    const r = spawnSync("bash", ["-c", shell(16, verifyArgs(results, "1", false))], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    oneLineNamingFile(r.stderr, results);
  }, 60_000);

  it("the timer's write of held lines fails: the next result reports it (no stack trace), exit 2", async () => {
    const results = path.join(t.dir, "limited-timer.jsonl");
    const message = readFileSync(OUTLOOK_FX("eml/rsa-clear-signed.eml"));
    const child = spawn(
      "bash",
      ["-c", shell(0, ["verify", "-", ...OUTLOOK_TRUST_ARGS, "--jsonl", results, "--jobs", "1"])],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    const exited = new Promise<number | null>((ok) => child.on("exit", (c) => ok(c)));
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.stdout.resume();
    // One message of an mbox on stdin and the From_ line of the next (which ends the first), then a pause longer
    // than the second its results line is held for: the timer writes it, and that write fails (a limit of 0
    // bytes). Then the rest of the second message.
    child.stdin.write(
      Buffer.concat([
        Buffer.from("From a@b Sat Dec  5 00:00:00 2026\n"),
        message,
        Buffer.from("\nFrom a@b Sat Dec  5 00:00:01 2026\n"),
      ]),
    );
    await sleep(2500);
    child.stdin.end(message);
    expect(await exited).toBe(2);
    oneLineNamingFile(stderr, results);
  }, 60_000);
});
