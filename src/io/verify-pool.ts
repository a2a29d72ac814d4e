/**
 * Bulk verification at the edge: `verifyBatch` spreads messages over worker threads (one smime/ Verifier
 * per worker, see verify-worker.ts) and hands results back in input order.
 *
 * Inputs arrive as values (bytes, or a loader the caller supplies). A message that cannot be read becomes
 * verdict "error" with MALFORMED, and the batch goes on.
 */

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { SmimetrustError } from "../errors.js";
import type { Fetcher } from "../lib/fetcher.js";
import { problem } from "../problems.js";
import { Verifier, type VerifySetup } from "../smime/verifier.js";
import type { VerifyResult } from "../smime/verify.js";

export interface BatchItem {
  name: string;
  /** The bytes, or a loader called when the item is dispatched (so a large batch is never all in memory). */
  bytes?: Uint8Array;
  load?: () => Uint8Array;
}

export interface BatchOptions {
  /** Worker threads; 1 = in this thread. Default: one per core. */
  jobs?: number;
  fetcherFactory?: () => Fetcher;
  /** Called in input order. */
  onResult: (index: number, item: BatchItem, result: VerifyResult) => void | Promise<void>;
  /** Items in flight per worker. */
  window?: number;
  /** The worker module (default ./verify-worker.js beside this file); tests pass one that misbehaves. */
  workerEntry?: URL;
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** Loads an item; a loader failure becomes an "error" result for that item alone. */
function loadItem(item: BatchItem): Uint8Array | VerifyResult {
  try {
    return item.bytes ?? item.load!();
  } catch (e) {
    const detail = e instanceof SmimetrustError ? e.message : (e as Error).message;
    return {
      verdict: "error",
      problems: [problem("MALFORMED", { detail: `cannot read: ${detail}` })],
      signers: [],
    };
  }
}

/** Verifies every item, in parallel when jobs > 1; results are delivered in input order. */
export async function verifyBatch(
  items: readonly BatchItem[],
  setup: VerifySetup,
  opts: BatchOptions,
): Promise<void> {
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), items.length));
  if (jobs <= 1) {
    const v = new Verifier(setup, setup.online ? opts.fetcherFactory?.() : undefined);
    for (let i = 0; i < items.length; i++) {
      const b = loadItem(items[i]);
      const r = b instanceof Uint8Array ? await v.verify(b) : b;
      await opts.onResult(i, items[i], r);
    }
    return;
  }
  await runWorkers(items, setup, opts, jobs);
}

/** Starts a worker; from source (tsx), the worker registers tsx's loader before importing the .ts entry. */
function startWorker(setup: VerifySetup, entryUrl?: URL): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = entryUrl ?? new URL(fromSource ? "./verify-worker.ts" : "./verify-worker.js", import.meta.url);
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: setup });
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: setup });
}

/** The result for a message a worker stopped on (out of memory, a crash): the batch goes on without it. */
function stoppedOn(detail: string): VerifyResult {
  return {
    verdict: "error",
    problems: [problem("MALFORMED", { detail: `the verifier stopped on this message (${detail})` })],
    signers: [],
  };
}

/**
 * The worker pool. Each worker says when it is ready, then serves up to `window` messages at a time. A worker
 * that stops after it was ready (a message that exhausts its memory, a crash) is replaced: if it held one
 * message, that message gets verdict "error"; if it held several, they are sent again one at a time, so only
 * the message that stops a worker is lost. A worker that stops before it is ready fails the batch (it
 * would fail for every message).
 */
async function runWorkers(
  items: readonly BatchItem[],
  setup: VerifySetup,
  opts: BatchOptions,
  jobs: number,
): Promise<void> {
  const window = opts.window ?? 16;
  const done = new Map<number, VerifyResult>();
  let nextToEmit = 0;
  let nextToSend = 0;
  let emitting: Promise<void> = Promise.resolve();
  const workers = new Set<Worker>();
  const inflight = new Map<Worker, Set<number>>();
  const ready = new Set<Worker>();
  /** Messages that were in flight on a worker that stopped: sent again one at a time. */
  const suspects: number[] = [];
  /** The worker serving a suspect, and which one. */
  const solo = new Map<Worker, number>();

  const emitReady = async () => {
    while (done.has(nextToEmit)) {
      const r = done.get(nextToEmit)!;
      done.delete(nextToEmit);
      await opts.onResult(nextToEmit, items[nextToEmit], r);
      nextToEmit++;
    }
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    let finished = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      resolve();
    };
    const complete = (i: number, r: VerifyResult) => {
      done.set(i, r);
      emitting = emitting
        .then(emitReady)
        .then(() => {
          if (nextToEmit >= items.length) finish();
        })
        .catch(fail);
    };
    const send = (w: Worker, i: number): boolean => {
      const b = loadItem(items[i]);
      if (!(b instanceof Uint8Array)) {
        complete(i, b);
        return false;
      }
      inflight.get(w)!.add(i);
      const exclusive =
        b.byteOffset === 0 &&
        b.byteLength === b.buffer.byteLength &&
        !(b.buffer instanceof SharedArrayBuffer);
      const payload = exclusive ? b : Uint8Array.from(b);
      w.postMessage({ id: i, bytes: payload }, [payload.buffer as ArrayBuffer]);
      return true;
    };
    const feed = (w: Worker) => {
      if (!ready.has(w) || finished || failed) return;
      const mine = inflight.get(w)!;
      if (solo.has(w)) return;
      if (suspects.length > 0) {
        // A suspect goes alone to a worker with nothing else in flight.
        if (mine.size > 0) return;
        const i = suspects.shift()!;
        if (send(w, i)) solo.set(w, i);
        else feed(w);
        return;
      }
      while (mine.size < window && nextToSend < items.length) send(w, nextToSend++);
    };
    let restarts = 0;
    const spawn = () => {
      const w = startWorker(setup, opts.workerEntry);
      workers.add(w);
      inflight.set(w, new Set());
      let lastError: string | undefined;
      w.on("message", (m: { ready: true } | { id: number; result: VerifyResult }) => {
        if ("ready" in m) {
          ready.add(w);
          feed(w);
          return;
        }
        inflight.get(w)!.delete(m.id);
        if (solo.get(w) === m.id) solo.delete(w);
        complete(m.id, m.result);
        feed(w);
      });
      w.on("error", (e) => {
        lastError = e.message;
      });
      w.on("exit", (code) => {
        workers.delete(w);
        if (finished || failed) return;
        if (!ready.has(w)) {
          fail(
            new Error(
              `verification worker stopped before it was ready (exit ${code}${lastError ? `: ${lastError}` : ""})`,
            ),
          );
          return;
        }
        const held = [...inflight.get(w)!];
        inflight.delete(w);
        solo.delete(w);
        if (++restarts > items.length + 2 * jobs) {
          fail(
            new Error(
              `verification workers keep stopping (exit ${code}${lastError ? `: ${lastError}` : ""})`,
            ),
          );
          return;
        }
        const why = lastError ?? `worker exit ${code}`;
        if (held.length === 1) complete(held[0], stoppedOn(why));
        else suspects.push(...held.sort((a, b) => a - b));
        spawn();
        // Idle workers pick up suspects too.
        for (const o of workers) feed(o);
      });
    };
    for (let k = 0; k < jobs; k++) spawn();
    if (items.length === 0) finish();
  });
  await emitting;
}
