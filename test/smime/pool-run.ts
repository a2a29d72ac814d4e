/**
 * Runs verifyBatch three ways over the same messages and prints what each delivered, as JSON: in this thread
 * alone (jobs 1, results), with a worker and this thread helping (jobs 2, rendered), and with two workers and
 * no help (jobs 2, callerRuns false, rendered). The pool needs real worker threads, so the test runs this in a
 * process of its own.
 *   node --import tsx test/smime/pool-run.ts
 */
import { type BatchItem, verifyBatch } from "../../src/io/verify-pool.js";
import { type RenderedResult, renderResult } from "../../src/smime/verify-json.js";
import { smimeMessage } from "../helpers/smime.js";
import { fixture } from "./pki-fixture.js";

const f = fixture();
const N = 1200;
const good = (i: number) =>
  smimeMessage({
    from: i % 2 ? "alice@contoso.com" : "Bob <bob@contoso.com>",
    subject: `message ${i}`,
    signers: [{ signer: i % 2 ? f.rsa : f.ec }],
    certs: [(i % 2 ? f.rsa : f.ec).der, f.ca.der],
  });
const messages: BatchItem[] = Array.from({ length: N }, (_, i) => {
  if (i % 97 === 5)
    return {
      name: `m${i}`,
      load: () => {
        throw new Error("gone");
      },
    };
  const bytes = good(i);
  // Every 50th message altered after signing: invalid.
  if (i % 50 === 7) bytes[bytes.indexOf("quarterly")] ^= 1;
  return { name: `m${i}`, bytes };
});

/** The messages as a stream that pauses after the first 64, so a worker is ready while most are still to come. */
async function* stream(): AsyncGenerator<BatchItem> {
  for (let i = 0; i < N; i++) {
    if (i === 64) await new Promise((r) => setTimeout(r, 2000));
    yield messages[i];
  }
}

const setup = { trust: [f.root.der], at: f.now, now: f.now };
const reference: RenderedResult[] = [];
await verifyBatch(stream(), setup, {
  jobs: 1,
  hash: true,
  onResult: (i, _item, r, info) => {
    if (info.thread !== undefined && info.thread !== 0) throw new Error("jobs 1 used a worker");
    reference[i] = renderResult(r);
  },
});

async function rendered(callerRuns: boolean) {
  const out: { index: number; name: string; thread?: number; hash?: string; r: RenderedResult }[] = [];
  await verifyBatch(stream(), setup, {
    jobs: 2,
    callerRuns,
    window: 16,
    batch: 8,
    hash: true,
    onRendered: (index, item, r, info) => {
      out.push({ index, name: item.name, thread: info.thread, hash: info.hash, r });
    },
  });
  return out;
}
const helped = await rendered(true);
const workersOnly = await rendered(false);

const summary = (runs: typeof helped) => ({
  inOrder: runs.every((x, k) => x.index === k && x.name === `m${k}`),
  sameAsInThread: runs.every((x) => JSON.stringify(x.r) === JSON.stringify(reference[x.index])),
  threads: [...new Set(runs.filter((x) => x.thread !== undefined).map((x) => x.thread))].sort(),
  hashed: runs.filter((x) => x.hash?.length === 16).length,
  verdicts: runs.reduce<Record<string, number>>((m, x) => {
    m[x.r.verdict] = (m[x.r.verdict] ?? 0) + 1;
    return m;
  }, {}),
});
console.log(
  JSON.stringify({
    count: [reference.length, helped.length, workersOnly.length],
    reference: Object.entries(
      reference.reduce<Record<string, number>>((m, x) => {
        m[x.verdict] = (m[x.verdict] ?? 0) + 1;
        return m;
      }, {}),
    ),
    helped: summary(helped),
    workersOnly: summary(workersOnly),
  }),
);
