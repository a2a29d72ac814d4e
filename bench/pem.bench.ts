/**
 * PEM scanning is linear: a text of N lines `-----BEGIN CERTIFICATE-----` that never end (a hostile or broken
 * file) is refused in time proportional to N. Measures the reader on 5,000 and 40,000 such lines (8 times as
 * many: a linear scan takes about 8 times as long, a quadratic one about 64 times), and a 56 MB file of them
 * read from disk against the time it takes only to read that file.
 * Run: npm run bench:pem  (node --import tsx bench/pem.bench.ts); exit 1 when the ratio is over 3 x 8.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SmimetrustError } from "../src/errors.js";
import { readCertificateBytes } from "../src/formats/read.js";
import { readCrls } from "../src/revocation/crl.js";

const LINE = "-----BEGIN CERTIFICATE-----\n";

function refuse(bytes: Uint8Array): void {
  try {
    readCertificateBytes(bytes, "bench.pem");
  } catch (e) {
    if (e instanceof SmimetrustError) return;
    throw e;
  }
  throw new Error("the bench input was accepted");
}

/**
 * Time in ms of one call of `f`: the best of 9 batches, each batch long enough (>= 40 ms) that the
 * clock's grain and a busy machine's pauses weigh little; the best batch is the one least disturbed.
 */
function timeOf(f: () => void): number {
  f();
  let per = 1;
  for (;;) {
    const s = performance.now();
    for (let i = 0; i < per; i++) f();
    if (performance.now() - s >= 40) break;
    per *= 2;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < 9; b++) {
    const s = performance.now();
    for (let i = 0; i < per; i++) f();
    best = Math.min(best, (performance.now() - s) / per);
  }
  return best;
}

console.log(`PEM scanning, Node ${process.version}`);
const small = Buffer.from(LINE.repeat(5_000));
const large = Buffer.from(LINE.repeat(40_000));
const tSmall = timeOf(() => refuse(small));
const tLarge = timeOf(() => refuse(large));
const ratio = tLarge / tSmall;
console.log(
  `readCertificateBytes, 5,000 unmatched BEGIN lines:  ${tSmall.toFixed(2)} ms\n` +
    `readCertificateBytes, 40,000 unmatched BEGIN lines: ${tLarge.toFixed(2)} ms\n` +
    `  ratio ${ratio.toFixed(1)} for 8 times the lines (linear: 8; quadratic: 64)`,
);
const crlSmall = Buffer.from("-----BEGIN X509 CRL-----\n".repeat(5_000));
const crlLarge = Buffer.from("-----BEGIN X509 CRL-----\n".repeat(40_000));
const cSmall = timeOf(() => {
  try {
    readCrls(crlSmall);
  } catch {}
});
const cLarge = timeOf(() => {
  try {
    readCrls(crlLarge);
  } catch {}
});
console.log(
  `readCrls, 5,000 / 40,000 unmatched BEGIN X509 CRL lines: ${cSmall.toFixed(2)} / ${cLarge.toFixed(2)} ms (ratio ${(cLarge / cSmall).toFixed(1)})`,
);

const lines56 = Math.ceil((56 * 1024 * 1024) / LINE.length);
const file = join(tmpdir(), `smimetrust-pem-bench-${process.pid}.pem`);
writeFileSync(file, LINE.repeat(lines56));
try {
  const once = (f: () => void) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      f();
      best = Math.min(best, performance.now() - s);
    }
    return best;
  };
  const tRead = once(() => readFileSync(file));
  const tAll = once(() => refuse(readFileSync(file)));
  console.log(
    `56 MB file (${lines56.toLocaleString("en-US")} unmatched BEGIN lines): read ${tRead.toFixed(0)} ms, read + refuse ${tAll.toFixed(0)} ms (${(tAll / tRead).toFixed(1)} x the read)`,
  );
} finally {
  rmSync(file, { force: true });
}
const worst = Math.max(ratio, cLarge / cSmall);
if (worst > 24) {
  console.log(`FAIL: ratio ${worst.toFixed(1)} is over 3 x linear (24)`);
  process.exitCode = 1;
}
