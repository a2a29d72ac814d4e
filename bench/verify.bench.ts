/**
 * `npm run bench:verify`: verify throughput, side by side with `openssl cms -verify`.
 *
 *  1. small messages: a generated corpus of clear-signed messages (RSA-2048 and P-256 signers under a two-level
 *     CA, the message carrying signer + intermediate), verified in this thread (= one core) with a warm chain
 *     cache; and `openssl cms -verify` run once per message on a sample of the same files.
 *  2. one 100 MB message (a large attachment under multipart/signed), verified in a fresh process that
 *     reports its time and peak memory (maxRSS), plus openssl on the same file.
 *
 * Options: --messages N (per key type, default 2000), --sample N (openssl, default 200), --big-mb N (default 100),
 * --keep (leave the generated files in the temp folder).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OID } from "../src/lib/oids.js";
import { Verifier } from "../src/smime/verifier.js";
import { intermediate, leaf, makeKey, root } from "../test/helpers/pki.js";
import { smimeMessage } from "../test/helpers/smime.js";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};

// ---- child mode: verify one big file, report time and memory ----
if (args[0] === "--child") {
  const [, file, trustFile] = args;
  const { readFileSync } = await import("node:fs");
  const base = process.memoryUsage().rss;
  const trust = new Uint8Array(readFileSync(trustFile));
  const v = new Verifier({ trust: [trust], at: Date.now(), now: Date.now() });
  const t0 = performance.now();
  const bytes = readFileSync(file);
  const t1 = performance.now();
  const c0 = process.cpuUsage();
  const r = await v.verify(bytes);
  const cpu = process.cpuUsage(c0);
  const t2 = performance.now();
  // Peak RSS of this process image: VmHWM (Linux). getrusage's maxRSS is not used where VmHWM exists: on
  // Linux it carries the parent's high-water mark across fork and exec.
  let peak = process.resourceUsage().maxRSS * 1024;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) peak = Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  console.log(
    JSON.stringify({
      verdict: r.verdict,
      problems: [...r.problems, ...r.signers.flatMap((s) => s.problems)].map((p) => p.code),
      bytes: bytes.length,
      readMs: t1 - t0,
      verifyMs: t2 - t1,
      verifyCpuMs: (cpu.user + cpu.system) / 1000,
      baseRss: base,
      maxRss: peak,
    }),
  );
  process.exit(0);
}

const PER_TYPE = opt("messages", 2000);
const SAMPLE = opt("sample", 200);
const BIG_MB = opt("big-mb", 100);
const here = fileURLToPath(import.meta.url);
const dir = mkdtempSync(path.join(tmpdir(), "smimetrust-bench-"));
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

console.log(
  `verify benchmark — ${cpus()[0]?.model ?? "cpu"} (${cpus().length} cores), Node ${process.version}`,
);

const now = Date.now();
const rootCa = root("CN=Bench Root CA,O=Bench", {
  key: makeKey({ type: "rsa", bits: 2048 }, "bench-root"),
  now,
});
const ca = intermediate("CN=Bench Issuing CA,O=Bench", rootCa, {
  key: makeKey({ type: "rsa", bits: 2048 }, "bench-ca"),
  now,
});
const trustFile = path.join(dir, "root.pem");
writeFileSync(trustFile, rootCa.pem);
writeFileSync(path.join(dir, "root.der"), rootCa.der);

type Kind = "RSA-2048" | "P-256";
const SENDERS = 20;
function makeCorpus(kind: Kind): string[] {
  const signers = Array.from({ length: SENDERS }, (_, i) =>
    leaf(`user${i}@bench.example`, ca, {
      key: makeKey(kind === "RSA-2048" ? { type: "rsa", bits: 2048 } : { type: "ec" }, `bench-${kind}-${i}`),
      now,
      eku: [OID.emailProtection],
    }),
  );
  const files: string[] = [];
  for (let i = 0; i < PER_TYPE; i++) {
    const s = signers[i % SENDERS];
    const part = `Content-Type: text/plain; charset=utf-8\r\n\r\nMessage ${i} from ${s.cert.emails[0]}: ${randomBytes(24).toString("hex")}\r\n`;
    const msg = smimeMessage({
      from: s.cert.emails[0],
      subject: `bench ${i}`,
      part,
      signers: [{ signer: s }],
      certs: [s.der, ca.der],
    });
    const f = path.join(dir, `${kind}-${String(i).padStart(5, "0")}.eml`);
    writeFileSync(f, msg);
    files.push(f);
  }
  return files;
}

async function small(kind: Kind) {
  const files = makeCorpus(kind);
  const { readFileSync } = await import("node:fs");
  const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
  const v = new Verifier({ trust: [rootCa.der], at: now, now });
  let valid = 0;
  const pass = async () => {
    valid = 0;
    for (const b of bytes) if ((await v.verify(b)).verdict === "valid") valid++;
  };
  await pass(); // warm-up: one path per sender into the chain cache, JIT
  let best = 0;
  let bestCpu = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await pass();
    const c = process.cpuUsage(c0);
    best = Math.max(best, bytes.length / ((performance.now() - t0) / 1000));
    bestCpu = Math.max(bestCpu, bytes.length / ((c.user + c.system) / 1e6));
  }
  const sample = files.slice(0, Math.min(SAMPLE, files.length));
  let ok = 0;
  const t0 = performance.now();
  for (const f of sample) {
    const r = spawnSync(
      "openssl",
      ["cms", "-verify", "-in", f, "-CAfile", trustFile, "-purpose", "smimesign", "-out", "/dev/null"],
      { stdio: "ignore" },
    );
    if (r.status === 0) ok++;
  }
  const os = sample.length / ((performance.now() - t0) / 1000);
  return {
    files: files.length,
    valid,
    perSec: best,
    perCpuSec: bestCpu,
    sample: sample.length,
    ok,
    opensslPerSec: os,
    bytes: bytes.reduce((a, b) => a + b.length, 0) / bytes.length,
  };
}

const rows: string[][] = [];
for (const kind of ["RSA-2048", "P-256"] as Kind[]) {
  const r = await small(kind);
  rows.push([
    kind,
    `${r.files} msgs, ~${Math.round(r.bytes)} B each`,
    `${Math.round(r.perCpuSec).toLocaleString("en")} msg/s per CPU-second (wall ${Math.round(r.perSec).toLocaleString("en")}/s), ${r.valid}/${r.files} valid`,
    `${r.opensslPerSec.toFixed(0)} msg/s (${r.ok}/${r.sample} valid)`,
    `${(r.perSec / r.opensslPerSec).toFixed(0)}x (wall)`,
  ]);
}
const w = rows[0].map((_, i) =>
  Math.max(
    ...rows.map((r) => r[i].length),
    ["signer", "corpus", "smimetrust verify, 1 core, warm cache", "openssl cms -verify per message", "ratio"][
      i
    ].length,
  ),
);
const line = (c: string[]) =>
  c
    .map((x, i) => x.padEnd(w[i]))
    .join("  ")
    .trimEnd();
console.log("\nSmall messages (one core; openssl: one process per message, sample extrapolated per second)");
console.log(
  line([
    "signer",
    "corpus",
    "smimetrust verify, 1 core, warm cache",
    "openssl cms -verify per message",
    "ratio",
  ]),
);
for (const r of rows) console.log(line(r));

// ---- one big message ----
const big = path.join(dir, "big.eml");
{
  const signer = leaf(`big@bench.example`, ca, {
    key: makeKey({ type: "rsa", bits: 2048 }, "bench-big"),
    now,
    eku: [OID.emailProtection],
  });
  const target = BIG_MB * 1048576;
  const rawLen = Math.floor(((target - 4096) / 78) * 57);
  const b64 = randomBytes(rawLen).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  const attachment = lines.join("\r\n");
  lines.length = 0;
  const part = Buffer.from(
    `Content-Type: multipart/mixed; boundary="mixed-b"\r\n\r\n--mixed-b\r\nContent-Type: text/plain\r\n\r\nThe archive is attached.\r\n--mixed-b\r\nContent-Type: application/octet-stream; name="archive.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="archive.bin"\r\n\r\n${attachment}\r\n--mixed-b--\r\n`,
  );
  const msg = smimeMessage({
    from: "big@bench.example",
    subject: "big",
    part,
    signers: [{ signer }],
    certs: [signer.der, ca.der],
  });
  writeFileSync(big, msg);
}
const child = spawnSync(
  process.execPath,
  [...process.execArgv, here, "--child", big, path.join(dir, "root.der")],
  { encoding: "utf8", maxBuffer: 1 << 20 },
);
if (child.status !== 0) {
  console.error(child.stderr);
  process.exit(1);
}
const res = JSON.parse(child.stdout.trim().split("\n").pop()!) as {
  verdict: string;
  problems: string[];
  bytes: number;
  readMs: number;
  verifyMs: number;
  verifyCpuMs: number;
  baseRss: number;
  maxRss: number;
};
const t0 = performance.now();
const os = spawnSync(
  "openssl",
  ["cms", "-verify", "-in", big, "-CAfile", trustFile, "-purpose", "smimesign", "-out", "/dev/null"],
  { stdio: "ignore" },
);
const osMs = performance.now() - t0;
console.log(
  `\nOne large message: ${mb(res.bytes)} (${res.bytes.toLocaleString("en")} bytes), multipart/signed around a base64 attachment`,
);
console.log(
  `  smimetrust verify: ${res.verdict}${res.problems.length ? ` ${res.problems.join(",")}` : ""}; verify ${res.verifyMs.toFixed(0)} ms wall = ${(res.bytes / 1048576 / (res.verifyMs / 1000)).toFixed(0)} MB/s; ${res.verifyCpuMs.toFixed(0)} ms CPU = ${(res.bytes / 1048576 / (res.verifyCpuMs / 1000)).toFixed(0)} MB per CPU-second (read from disk ${res.readMs.toFixed(0)} ms, with it ${(res.bytes / 1048576 / ((res.verifyMs + res.readMs) / 1000)).toFixed(0)} MB/s)`,
);
console.log(
  `  peak memory (VmHWM of the verifying process): ${mb(res.maxRss)} = ${(res.maxRss / res.bytes).toFixed(2)}x the message; before reading it the process used ${mb(res.baseRss)}, so the message cost ${mb(res.maxRss - res.baseRss)} = ${((res.maxRss - res.baseRss) / res.bytes).toFixed(2)}x`,
);
console.log(
  `  openssl cms -verify: ${os.status === 0 ? "valid" : `exit ${os.status}`} in ${osMs.toFixed(0)} ms = ${(res.bytes / 1048576 / (osMs / 1000)).toFixed(0)} MB/s`,
);

if (!args.includes("--keep")) rmSync(dir, { recursive: true, force: true });
else console.log(`\nfiles kept in ${dir}`);
