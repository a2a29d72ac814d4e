/**
 * verifyBatch with --online in worker threads: two workers and no help from this thread verify six messages
 * whose signer's issuing CA is missing and comes over AIA from a real HTTP server on 127.0.0.1 (started here).
 * Prints, as JSON: each result's index and verdict, each chain's sources, how many threads verified, and how
 * often the issuer was fetched. Worker threads from the sources need a process of their own:
 *   node --import tsx test/smime/online-run.ts
 */
import { verifyBatch } from "../../src/io/verify-pool.js";
import type { VerifyResult } from "../../src/smime/verify.js";
import { onlineFixture } from "./online-fixture.js";

const { now, root, srv, message } = await onlineFixture("Online Worker");
const got: { i: number; r: VerifyResult; thread?: number }[] = [];
await verifyBatch(
  [1, 2, 3, 4, 5, 6].map((n) => ({ name: `${n}.eml`, bytes: message(n) })),
  { trust: [root.der], at: now, now, online: true, fetchOptions: {} },
  {
    jobs: 2,
    callerRuns: false,
    onResult: (i, _item, res, info) => void got.push({ i, r: res, thread: info.thread }),
  },
);
await srv.close();
console.log(
  JSON.stringify({
    results: got.map((g) => `${g.i}:${g.r.verdict}`),
    sources: got.map((g) => g.r.signers[0]?.chain.map((c) => c.source) ?? []),
    threads: new Set(got.map((g) => g.thread).filter((t) => t !== undefined && t >= 1)).size,
    fetched: srv.counts.get("/ica.cer") ?? 0,
  }),
);
