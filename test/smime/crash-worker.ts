/**
 * A verification worker for the tests that stops (as on running out of memory) when a message contains
 * CRASH-THIS-WORKER, and that cannot start at all when the trust list is the word FAIL-AT-START.
 */
import { parentPort, workerData } from "node:worker_threads";

if (
  Buffer.from((workerData as { trust: Uint8Array[] }).trust[0] ?? []).toString("latin1") === "FAIL-AT-START"
)
  throw new Error("cannot start");
parentPort!.on("message", (m: { batch?: { bytes: Uint8Array }[] }) => {
  if (m.batch?.some((x) => Buffer.from(x.bytes).includes("CRASH-THIS-WORKER"))) process.exit(7);
});
await import("../../src/io/verify-worker.js");
