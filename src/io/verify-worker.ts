/** A verification worker thread: one Verifier (trust list parsed once, caches kept) serving messages. */
import { parentPort, workerData } from "node:worker_threads";
import { Verifier, type VerifySetup } from "../smime/verifier.js";
import { createHttpFetcher } from "./http-fetcher.js";

const setup = workerData as VerifySetup;
const verifier = new Verifier(setup, setup.online ? createHttpFetcher(setup.fetchOptions ?? {}) : undefined);

parentPort!.on("message", async (m: { id: number; bytes: Uint8Array }) => {
  const result = await verifier.verify(m.bytes);
  parentPort!.postMessage({ id: m.id, result });
});
parentPort!.postMessage({ ready: true });
