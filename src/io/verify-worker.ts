/**
 * A verification worker thread: one Verifier (trust list parsed once, caches kept) serving messages in
 * batches (verify-pool.ts: WorkerRequest in, one WorkerReply per batch out).
 */
import { parentPort, workerData } from "node:worker_threads";
import { Verifier, type VerifySetup } from "../smime/verifier.js";
import { createHttpFetcher } from "./http-fetcher.js";
import { contentHash, outcomeOf, type WorkerReply, type WorkerRequest } from "./verify-pool.js";

const setup = workerData as VerifySetup;
const verifier = new Verifier(setup, setup.online ? createHttpFetcher(setup.fetchOptions ?? {}) : undefined);

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
