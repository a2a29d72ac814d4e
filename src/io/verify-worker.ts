/**
 * A verification worker thread: one Verifier (trust list parsed once, caches kept) serving messages in
 * batches (verify-pool.ts: WorkerRequest in, one WorkerReply per batch out).
 */
import { parentPort, workerData } from "node:worker_threads";
import { Verifier, type VerifySetup } from "../smime/verifier.js";
import { contentHash, outcomeOf, type WorkerReply, type WorkerRequest } from "./verify-pool.js";

const setup = workerData as VerifySetup;
// The HTTP client (and Node's http, https and tls with it) loads only for a run that fetches.
const fetcher = setup.online
  ? (await import("./http-fetcher.js")).createHttpFetcher(setup.fetchOptions ?? {})
  : undefined;
const verifier = new Verifier(setup, fetcher);

parentPort!.on("message", async (m: WorkerRequest) => {
  const results: Extract<WorkerReply, { results: unknown }>["results"] = [];
  for (const { id, bytes } of m.batch) {
    const hash = m.hash ? contentHash(bytes) : undefined;
    const result = await verifier.verify(bytes);
    const outcome = outcomeOf(result, m.render);
    results.push(hash ? { id, hash, ...outcome } : { id, ...outcome });
  }
  parentPort!.postMessage({ results } satisfies WorkerReply);
});
parentPort!.postMessage({ ready: true } satisfies WorkerReply);
