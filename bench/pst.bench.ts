/**
 * `npm run bench:pst`: verifying the signed items of a large PST through the CLI (`node dist/smimetrust.js`, the
 * bundle `npm run build` makes), with --jobs 1 and 2 in turn: wall time, CPU (user+sys of the process, its worker
 * threads included, read at exit by a small --import hook), peak memory (VmHWM) and items per second.
 *
 * The PST is written by the tests' writer (test/helpers/pst-writer.ts) with `onlyFirstAMap` (no allocation maps
 * after the first 253,952 bytes: pst-extractor never reads them, Outlook would not take the file): --folders
 * folders (default 25), each with 15 subfolders of 20 copies of the RSA-2048 clear-signed fixture message, whose
 * smime.p7m is padded with --pad bytes (default 40,000; inside the signed entity's epilogue, so each item stays
 * valid). Defaults: 7,500 items, a file of about 344 MB. Options: --rounds N (default 3), --dir DIR (work folder,
 * kept), --keep (leave the files).
 *
 * A quick run: --folders 2 --rounds 1
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { itemFromEml } from "../test/helpers/outlook-msg.js";
import { type PstFolderSpec, pstFile } from "../test/helpers/pst-writer.js";
import { cliEnv, cliShebangFlags, type Rusage, writeRusageHook } from "./cli-process.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist/smimetrust.js");
const fixtures = path.join(root, "test/fixtures/outlook");
const folders = opt("folders", 25);
const pad = opt("pad", 40_000);
const rounds = opt("rounds", 3);
const dirArg = args.indexOf("--dir") >= 0 ? args[args.indexOf("--dir") + 1] : undefined;
const keep = args.includes("--keep") || dirArg !== undefined;
const dir = dirArg ?? mkdtempSync(path.join(tmpdir(), "smimetrust-bench-pst-"));
mkdirSync(dir, { recursive: true });

if (spawnSync(process.execPath, [cli, "--version"]).status !== 0) {
  console.error(`bench:pst: ${cli} does not run: run npm run build first`);
  process.exit(2);
}

// ---- the PST ---------------------------------------------------------------------------------------------
const item = itemFromEml(readFileSync(path.join(fixtures, "eml/rsa-clear-signed.eml")));
const p7m = item.attachments[0].bytes;
// The smime.p7m of a clear-signed item holds the multipart/signed entity: text after its closing boundary is
// the epilogue, which no signature covers.
const padded = Buffer.concat([p7m, Buffer.from("\r\n"), Buffer.alloc(pad, "x"), Buffer.from("\r\n")]);
const items = () =>
  Array.from({ length: 20 }, () => ({ ...item, attachments: [{ ...item.attachments[0], bytes: padded }] }));
const spec: PstFolderSpec[] = Array.from({ length: folders }, (_, f) => ({
  name: `F${f}`,
  items: [],
  folders: Array.from({ length: 15 }, (_, g) => ({ name: `G${g}`, items: items() })),
}));
const pst = path.join(dir, "bench.pst");
const t0 = performance.now();
writeFileSync(pst, pstFile(spec, { onlyFirstAMap: true }));
const count = folders * 15 * 20;
const size = statSync(pst).size;
console.log(
  `PST: ${count.toLocaleString("en-US")} signed items of ${(padded.length / 1000).toFixed(0)} KB, ${(size / 1e6).toFixed(0)} MB, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

// ---- the CLI under a resource-usage hook ---------------------------------------------------------------------
const hook = writeRusageHook(dir);
const shebangFlags = cliShebangFlags(cli);
const { env } = cliEnv();

interface Run {
  wall: number;
  cpu: number;
  hwm: number;
}
const run = (jobs: number): Run => {
  const rfile = path.join(dir, "rusage.json");
  const results = path.join(dir, "results.jsonl");
  rmSync(results, { force: true });
  readFileSync(pst); // in the page cache, as the CLI will find it
  const out = openSync(path.join(dir, "stdout.txt"), "w");
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      ...shebangFlags,
      "--import",
      pathToFileURL(hook).href,
      cli,
      "verify",
      pst,
      "--trust",
      path.join(fixtures, "trust"),
      "--crl",
      path.join(fixtures, "crls"),
      "--jsonl",
      results,
      "--jobs",
      String(jobs),
    ],
    { env: { ...env, BENCH_RUSAGE_FILE: rfile }, stdio: ["ignore", out, "pipe"], encoding: "utf8" },
  );
  const wall = (performance.now() - t) / 1000;
  closeSync(out);
  const summary = r.stderr.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !summary.startsWith(`${count} messages: ${count} valid`)) {
    console.error(
      `bench:pst: the run with --jobs ${jobs} did not verify every item (exit ${r.status}): ${summary}`,
    );
    process.exit(1);
  }
  const u = JSON.parse(readFileSync(rfile, "utf8")) as Rusage;
  return { wall, cpu: u.user + u.sys, hwm: u.hwm };
};

console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const runs: Record<number, Run[]> = { 1: [], 2: [] };
for (let i = 0; i < rounds; i++)
  for (const jobs of [1, 2]) {
    const r = run(jobs);
    runs[jobs].push(r);
    console.log(
      `round ${i + 1} --jobs ${jobs}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, peak ${(r.hwm / 1e6).toFixed(0)} MB`,
    );
  }
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  "\n| --jobs | wall (median) | CPU (median) | items per second | peak memory |\n|---|---|---|---|---|",
);
for (const jobs of [1, 2]) {
  const w = median(runs[jobs].map((r) => r.wall));
  const c = median(runs[jobs].map((r) => r.cpu));
  const m = Math.max(...runs[jobs].map((r) => r.hwm));
  console.log(
    `| ${jobs} | ${w.toFixed(2)} s | ${c.toFixed(2)} s | ${Math.round(count / w).toLocaleString("en-US")} | ${(m / 1e6).toFixed(0)} MB |`,
  );
}
if (!keep) rmSync(dir, { recursive: true, force: true });
