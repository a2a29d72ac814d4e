/**
 * The by-hand fuzz run of verify: `npm run fuzz:verify -- --cases 1000000 [--seed N]`.
 * Prints progress to stderr and a summary; exit 1 when any case crashed, hung or called a mutated
 * signed part valid.
 */
import { corpus, fuzz } from "./fuzz-core.js";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const cases = opt("cases", 100_000);
const seed = opt("seed", Date.now() % 2 ** 31);
const samples = await corpus();
const t0 = performance.now();
const st = await fuzz(samples, cases, seed, (n) => {
  if (process.stderr.isTTY) process.stderr.write(`\r${n}/${cases}`);
});
const s = (performance.now() - t0) / 1000;
if (process.stderr.isTTY) process.stderr.write("\n");
console.log(
  `verify fuzz: seed ${seed}, ${st.cases} cases in ${s.toFixed(1)} s (${Math.round(st.cases / s)}/s) over ${samples.length} signed messages; ` +
    `${st.judged} judged (mutation inside signed bytes: ${st.judged - st.exempt} never valid, ${st.exempt} CRLF-equivalent and accepted), ` +
    `${st.validElsewhere} stayed valid after mutations outside signed bytes; verdicts ${JSON.stringify(st.verdicts)}; slowest case ${st.slowest.toFixed(1)} ms; failures ${st.failures.length}`,
);
for (const f of st.failures) console.log(`FAIL ${f}`);
process.exitCode = st.failures.length ? 1 : 0;
