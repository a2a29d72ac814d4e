/**
 * A run stopped by a signal (Ctrl-C, a Kubernetes pod stopped, the terminal closed) while it writes a results
 * file: the results file holds back lines to write them in groups, so the CLI writes what it holds before it
 * stops, says how many results the file has, and stops by that same signal (a shell's loop stops on Ctrl-C as
 * it would without the handler). `--resume` then goes on after the last message verified.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_FROM_SOURCE, REPO_ROOT, spawnCli } from "../helpers/cli.js";
import { tempFolder } from "../helpers/temp.js";

const FX = (p: string) => path.join(REPO_ROOT, "test/fixtures/outlook", p);
const t = tempFolder("smimetrust-interrupt-");
const N = 3000;
const mail = path.join(t.dir, "mail");
mkdirSync(mail);
for (let i = 0; i < N; i++)
  copyFileSync(FX("eml/rsa-clear-signed.eml"), path.join(mail, `${String(i).padStart(5, "0")}.eml`));
const verifyArgs = (results: string, jobs: string, resume: boolean) => [
  "verify",
  mail,
  "--trust",
  FX("trust"),
  "--crl",
  FX("crls"),
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
