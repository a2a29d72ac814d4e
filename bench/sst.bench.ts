/**
 * `npm run bench`: reading and writing the 507-certificate Windows root store
 * (test/corpora/sst/GeekDuanLian_windows-cert-sync_root.sst).
 *
 *   read          readSst + a Certificate object for every certificate (what inspect/build do first)
 *   read+sha1     the same, plus each certificate's SHA-1 thumbprint (what de-duplication needs)
 *   createSst     a new store of the 507 certificates (property 3 computed for each)
 *   writeSst      writing the parsed store back byte for byte
 *
 * Prints median and p95 in milliseconds after a warm-up. Target: read and write both under 20 ms.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSst, readSst, sstCertificates, writeSst } from "../src/formats/sst.js";
import { Certificate } from "../src/x509/certificate.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = resolve(root, "test/corpora/sst/GeekDuanLian_windows-cert-sync_root.sst");
const bytes = new Uint8Array(readFileSync(file));

const WARMUP = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);

function measure(name: string, f: () => unknown): { name: string; median: number; p95: number; min: number } {
  for (let i = 0; i < WARMUP; i++) f();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
  return { name, median: q(0.5), p95: q(0.95), min: times[0] };
}

const store = readSst(bytes);
const ders = sstCertificates(store).map((e) => e.value);
if (ders.length !== 507) throw new Error(`expected 507 certificates, found ${ders.length}`);

const results = [
  measure("read (readSst + 507 Certificate objects)", () => {
    const s = readSst(bytes);
    let n = 0;
    for (const e of s.elements)
      if (e.kind === "certificate") n += new Certificate(e.value, e.offset + 12).version;
    return n;
  }),
  measure("read + SHA-1 thumbprints", () => {
    const s = readSst(bytes);
    let n = 0;
    for (const e of s.elements)
      if (e.kind === "certificate") n += new Certificate(e.value, e.offset + 12).sha1.length;
    return n;
  }),
  measure("write: createSst (507 certificates, property 3 each)", () =>
    createSst(ders.map((der) => ({ der }))),
  ),
  measure("write: writeSst (round trip of the parsed store)", () => writeSst(store)),
];

console.log(`smimetrust SST benchmark: ${file.replace(`${resolve(root, "..")}/`, "../")}`);
console.log(
  `${bytes.length} bytes, ${ders.length} certificates; ${WARMUP} warm-up runs, ${RUNS} measured; Node ${process.version}\n`,
);
const w = Math.max(...results.map((r) => r.name.length));
console.log(`${"operation".padEnd(w)}  median ms   p95 ms   min ms`);
for (const r of results)
  console.log(
    `${r.name.padEnd(w)}  ${r.median.toFixed(2).padStart(9)}  ${r.p95.toFixed(2).padStart(7)}  ${r.min.toFixed(2).padStart(7)}`,
  );
const worstMedian = Math.max(...results.map((r) => r.median));
const worstP95 = Math.max(...results.map((r) => r.p95));
console.log(
  `\ntarget: read and write under 20 ms — median ${worstMedian < 20 ? "met" : "NOT met"} (worst median ${worstMedian.toFixed(2)} ms), ` +
    `p95 ${worstP95 < 20 ? "met" : "NOT met"} (worst p95 ${worstP95.toFixed(2)} ms); load average ${loadavg()[0].toFixed(2)} on ${cpus().length} CPUs`,
);
