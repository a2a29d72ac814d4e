/**
 * Bulk verification at the edge: `verifyBatch` spreads messages over worker threads (one smime/ Verifier
 * per worker, see verify-worker.ts) and hands results back in input order.
 *
 * Inputs arrive as a stream (any iterable or async iterable of items: bytes, or a loader the caller supplies)
 * and are pulled only as fast as the workers take them: at most twice `window` items per worker are read ahead of
 * the results (and no more than `maxBytesAhead` bytes, unless a single message is larger), so memory stays
 * bounded whatever the size of the input. Items travel to workers in batches of several per message, their
 * buffers transferred rather than copied. A message that cannot be read becomes verdict "error" with
 * MALFORMED, and the batch goes on.
 */

import { hash } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { SmimetrustError } from "../errors.js";
import type { Fetcher } from "../lib/fetcher.js";
import { problem } from "../problems.js";
import { Verifier, type VerifySetup } from "../smime/verifier.js";
import type { VerifyResult } from "../smime/verify.js";
import { JSON_TEXT, type RenderedResult, type RenderWants, renderResult } from "../smime/verify-json.js";

export interface BatchItem {
  name: string;
  /** The bytes, or a loader called when the item is read (so a large batch is never all in memory). */
  bytes?: Uint8Array;
  /**
   * Reads the bytes (again). An item that has one may have its buffer transferred to a worker (it is no
   * longer usable here afterwards): should that worker stop, the message is read again. Items with bytes
   * alone are copied to workers.
   */
  load?: () => Uint8Array;
  /**
   * The bytes' buffer belongs to this item alone (not shared with other items, not from Node's small-Buffer
   * pool): with a loader, it is moved to a worker instead of copied.
   */
  owned?: boolean;
}

/** What the batch says about a message besides its result. */
export interface ResultInfo {
  /** The first 16 hex digits of the SHA-256 of the message's bytes (with `hash: true`; absent when unread). */
  hash?: string;
  /** Size of the message in bytes (0 when it could not be read). */
  size: number;
  /** Which thread verified it: 0 this one, 1.. a worker (absent when unread). */
  thread?: number;
}

/** A message's outcome as it is delivered: the result itself, or (with `onRendered`) its rendering. */
export type Outcome =
  | { result: VerifyResult; rendered?: undefined }
  | { rendered: RenderedResult; result?: undefined };

/** How results are delivered, in input order, with the item's position in the input (0-based). */
export type Delivery<T> =
  | {
      onResult: (index: number, item: T, result: VerifyResult, info: ResultInfo) => void | Promise<void>;
      onRendered?: undefined;
    }
  | {
      /**
       * Each result as smime's renderResult makes it, in the thread that verified it (the outputs of an
       * archive run need no more, and text is cheaper to move between threads than the result's objects).
       */
      onRendered: (
        index: number,
        item: T,
        rendered: RenderedResult,
        info: ResultInfo,
      ) => void | Promise<void>;
      onResult?: undefined;
    };

export type BatchOptions<T extends BatchItem = BatchItem> = BatchSettings & Delivery<T>;

export interface BatchSettings {
  /**
   * Threads verifying; 1 = this thread alone. Default: one per core. With more, this thread starts jobs - 1
   * workers and verifies too whenever every worker has a full window (it reads and writes as well, so a
   * worker per core would leave the threads taking turns on the cores).
   */
  jobs?: number;
  /** Whether this thread verifies beside the workers (default true); false: `jobs` workers, this thread only feeds them. */
  callerRuns?: boolean;
  fetcherFactory?: () => Fetcher;
  /**
   * With jobs 1, messages read in a row before they are verified (default 1). Reading a run of files and then
   * verifying them keeps the system calls and the verifier each warm in the caches; an input that arrives
   * slowly (a pipe) wants 1, so that each result comes as soon as its message.
   */
  readRun?: number;
  /** Items in flight per worker (default 256). */
  window?: number;
  /**
   * Items per message to a worker (default 64: on 2 cores, batches of 8 kept the threads waking each other and
   * --jobs 2 took 6.4 s of wall time for 50,000 messages where batches of 64 take 5.1 s).
   */
  batch?: number;
  /** Bytes read ahead of the results, over all workers (default 64 MiB; one larger message still goes). */
  maxBytesAhead?: number;
  /** Compute each message's content hash (ResultInfo.hash), in the workers. */
  hash?: boolean;
  /** With `onRendered`: which renderings to make (default the JSON text alone). */
  render?: RenderWants;
  /** The worker module (default ./verify-worker.js beside this file); tests pass one that misbehaves. */
  workerEntry?: URL;
}

/** Messages this large (and owned, and readable again) are moved to a worker on their own, not copied. */
const MOVE_FROM = 256 * 1024;
/** A run of messages read in a row (readRun) stops at this many bytes. */
const READ_RUN_BYTES = 4 * 1024 * 1024;
/** Messages this thread verifies before it lets the event loop run (about a millisecond of work). */
const HELP_RUN = 8;
/** With jobs 1, messages verified between turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY = 64;

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** The content hash used to key results: the first 16 hex digits of SHA-256 (one-shot: no Hash object per call). */
export function contentHash(bytes: Uint8Array): string {
  return hash("sha256", bytes, "hex").slice(0, 16);
}

function unreadable(e: unknown): VerifyResult {
  const detail = e instanceof SmimetrustError ? e.message : (e as Error).message;
  return {
    verdict: "error",
    problems: [problem("MALFORMED", { detail: `cannot read: ${detail}` })],
    signers: [],
  };
}

/** A result as the delivery wants it (rendered as `render` says, or itself): in this thread and in the workers. */
export function outcomeOf(r: VerifyResult, render: RenderWants | undefined): Outcome {
  return render ? { rendered: renderResult(r, render) } : { result: r };
}

/** What a delivery wants made of each result: renderings (onRendered), or the result itself. */
function renderOf<T extends BatchItem>(opts: BatchOptions<T>): RenderWants | undefined {
  return opts.onRendered ? (opts.render ?? JSON_TEXT) : undefined;
}

/** Hands an outcome to the delivery callback. */
function deliver<T>(
  opts: Delivery<T>,
  index: number,
  item: T,
  o: Outcome,
  info: ResultInfo,
): void | Promise<void> {
  // The outcome was made for this delivery (outcomeOf, or a worker told `render`).
  return opts.onRendered
    ? opts.onRendered(index, item, o.rendered!, info)
    : opts.onResult(index, item, o.result!, info);
}

/** Loads an item; a loader failure becomes an "error" result for that item alone. */
function loadItem(item: BatchItem): Uint8Array | VerifyResult {
  try {
    return item.bytes ?? item.load!();
  } catch (e) {
    return unreadable(e);
  }
}

/** The items as an async iterator, whichever kind of iterable they came as. */
function iterate<T>(items: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  const a = (items as AsyncIterable<T>)[Symbol.asyncIterator];
  return a ? a.call(items) : (items as Iterable<T>)[Symbol.iterator]();
}

/** Verifies every item, in parallel when jobs > 1; results are delivered in input order. */
export async function verifyBatch<T extends BatchItem>(
  items: Iterable<T> | AsyncIterable<T>,
  setup: VerifySetup,
  opts: BatchOptions<T>,
): Promise<void> {
  const jobs = Math.max(1, opts.jobs ?? defaultJobs());
  if (jobs <= 1) {
    const render = renderOf(opts);
    const v = new Verifier(setup, setup.online ? opts.fetcherFactory?.() : undefined);
    let i = 0;
    let yieldedAt = 0;
    const it = iterate(items);
    const runLength = Math.max(1, opts.readRun ?? 1);
    const run: { item: T; b: Uint8Array | VerifyResult }[] = [];
    for (let ended = false; !ended; ) {
      // A run of messages is read, then verified: each kind of work stays warm in the caches for the run.
      run.length = 0;
      let runBytes = 0;
      /** An input that failed part-way: the messages read before it are still verified and delivered. */
      let stopped: { error: unknown } | undefined;
      try {
        while (run.length < runLength && runBytes < READ_RUN_BYTES) {
          const next = await it.next();
          if (next.done) {
            ended = true;
            break;
          }
          const b = loadItem(next.value);
          run.push({ item: next.value, b });
          if (b instanceof Uint8Array) runBytes += b.byteLength;
        }
      } catch (error) {
        stopped = { error };
      }
      for (const { item, b } of run) {
        const r = b instanceof Uint8Array ? await v.verify(b) : b;
        const info: ResultInfo =
          b instanceof Uint8Array
            ? { size: b.byteLength, thread: 0, hash: opts.hash ? contentHash(b) : undefined }
            : { size: 0 };
        const pending = deliver(opts, i++, item, outcomeOf(r, render), info);
        if (pending) await pending;
      }
      if (stopped) throw stopped.error;
      // Reading and verifying a folder wait on no I/O, so without this the event loop would not turn until the
      // end: output written to a pipe would keep every written chunk until then (their write requests complete
      // in the loop), and timers and signal handlers would wait.
      if (i - yieldedAt >= YIELD_EVERY) {
        yieldedAt = i;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return;
  }
  const local =
    opts.callerRuns === false
      ? undefined
      : new Verifier(setup, setup.online ? opts.fetcherFactory?.() : undefined);
  await runWorkers(iterate(items), setup, opts, local ? jobs - 1 : jobs, local);
}

/** Node's worker_threads, loaded when a first worker starts: a run with --jobs 1 never loads it. */
type WorkerClass = typeof import("node:worker_threads").Worker;

/** Starts a worker; from source (tsx), the worker registers tsx's loader before importing the .ts entry. */
function startWorker(Worker: WorkerClass, setup: VerifySetup, entryUrl?: URL): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const url = entryUrl ?? new URL(fromSource ? "./verify-worker.ts" : "./verify-worker.js", import.meta.url);
  // A larger young generation: verification allocates short-lived objects fast, and with V8's default the
  // workers spent ~15% of their CPU scavenging (--jobs 2 on 50,000 messages: 5.1 s -> 4.4 s wall).
  const resourceLimits = { maxYoungGenerationSizeMb: 96 };
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: setup, resourceLimits });
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: setup, resourceLimits });
}

/** The result for a message a worker stopped on (out of memory, a crash): the batch goes on without it. */
function stoppedOn(detail: string): VerifyResult {
  return {
    verdict: "error",
    problems: [problem("MALFORMED", { detail: `the verifier stopped on this message (${detail})` })],
    signers: [],
  };
}

/** What a worker is sent: messages by id. */
export interface WorkerRequest {
  batch: { id: number; bytes: Uint8Array }[];
  hash: boolean;
  /** Send each result rendered (smime's renderResult, these renderings), not the result itself. */
  render: RenderWants | undefined;
}
/** What a worker answers: one reply per request, outcomes by id. */
export type WorkerReply = { ready: true } | { results: ({ id: number; hash?: string } & Outcome)[] };

interface Pending<T> {
  item: T;
  bytes?: Uint8Array;
  size: number;
}

/**
 * The worker pool. Each worker says when it is ready, then serves up to `window` messages at a time, sent in
 * batches. A worker that stops after it was ready (a message that exhausts its memory, a crash) is replaced:
 * if it held one message, that message gets verdict "error"; if it held several, they are sent again one at a
 * time, so only the message that stops a worker is lost. A worker that stops before it is ready fails the
 * batch (it would fail for every message).
 */
async function runWorkers<T extends BatchItem>(
  it: AsyncIterator<T> | Iterator<T>,
  setup: VerifySetup,
  opts: BatchOptions<T>,
  jobs: number,
  local: Verifier | undefined,
): Promise<void> {
  const { Worker } = await import("node:worker_threads");
  const window = Math.max(1, opts.window ?? 256);
  const batchSize = Math.max(1, Math.min(opts.batch ?? 64, window));
  // Twice the windows of the threads verifying: one that runs ahead is not held up by an earlier message still
  // in flight elsewhere.
  const maxAhead = 2 * (jobs + (local ? 1 : 0)) * window + batchSize;
  const maxBytesAhead = opts.maxBytesAhead ?? 64 * 1024 * 1024;
  /** Items read and not yet delivered, by position. */
  const held = new Map<number, Pending<T>>();
  const done = new Map<number, { outcome: Outcome; hash?: string; thread?: number }>();
  const render = renderOf(opts);
  /** Worker numbers (1..) for ResultInfo.thread. */
  const workerNo = new Map<Worker, number>();
  let spawned = 0;
  /** Positions read and waiting for a worker, in order. */
  const queue: number[] = [];
  let pulled = 0;
  let exhausted = false;
  let pulling = false;
  let bytesAhead = 0;
  let nextToEmit = 0;
  let emitting: Promise<void> = Promise.resolve();
  const workers = new Set<Worker>();
  const inflight = new Map<Worker, Set<number>>();
  const ready = new Set<Worker>();
  /** Messages that were in flight on a worker that stopped: sent again one at a time. */
  const suspects: number[] = [];
  /** The worker serving a suspect, and which one. */
  const solo = new Map<Worker, number>();
  /** Workers that said they were ready (even if gone since). */
  const readyOnce = new WeakSet<Worker>();

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
    const emitReady = async () => {
      while (done.has(nextToEmit)) {
        const d = done.get(nextToEmit)!;
        const p = held.get(nextToEmit)!;
        done.delete(nextToEmit);
        held.delete(nextToEmit);
        bytesAhead -= p.size;
        const info: ResultInfo = { size: p.size, hash: d.hash, thread: d.thread };
        const pending = deliver(opts, nextToEmit, p.item, d.outcome, info);
        if (pending) await pending;
        nextToEmit++;
      }
    };
    /** One delivery pass queued at a time (not one per result): it takes every result that is ready. */
    let emitQueued = false;
    const complete = (i: number, result: VerifyResult | Outcome, hash?: string, thread?: number) => {
      const p = held.get(i);
      if (p) p.bytes = undefined;
      const outcome = "verdict" in result ? outcomeOf(result, render) : result;
      done.set(i, { outcome, hash, thread });
      if (emitQueued) return;
      emitQueued = true;
      emitting = emitting
        .then(() => {
          emitQueued = false;
          return emitReady();
        })
        .then(() => {
          if (exhausted && nextToEmit >= pulled) finish();
          else void pump();
        })
        .catch(fail);
    };
    /** Reads items while the window allows. */
    const pump = async () => {
      if (pulling || exhausted || failed || finished) return;
      pulling = true;
      try {
        while (
          !exhausted &&
          !failed &&
          pulled - nextToEmit < maxAhead &&
          (bytesAhead < maxBytesAhead || pulled === nextToEmit)
        ) {
          const next = await it.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          const i = pulled++;
          const b = loadItem(next.value);
          if (b instanceof Uint8Array) {
            held.set(i, { item: next.value, bytes: b, size: b.byteLength });
            bytesAhead += b.byteLength;
            queue.push(i);
            dispatch();
          } else {
            held.set(i, { item: next.value, size: 0 });
            complete(i, b);
          }
        }
      } catch (e) {
        fail(e);
        return;
      } finally {
        pulling = false;
      }
      dispatch();
      void help();
      if (exhausted && nextToEmit >= pulled) emitting = emitting.then(finish);
    };
    /** The bytes of a held item, read again if they went to a worker that stopped. */
    const bytesOf = (i: number): Uint8Array | VerifyResult => {
      const p = held.get(i)!;
      if (p.bytes && p.bytes.buffer.byteLength > 0) return p.bytes;
      return loadItem({ ...p.item, bytes: undefined });
    };
    const send = (w: Worker, ids: number[]) => {
      const batch: WorkerRequest["batch"] = [];
      const transfer: ArrayBuffer[] = [];
      /** Messages copied into one buffer for the batch: one transfer, whatever the number of messages. */
      const packed: { id: number; bytes: Uint8Array }[] = [];
      let packedSize = 0;
      for (const i of ids) {
        const b = bytesOf(i);
        if (!(b instanceof Uint8Array)) {
          complete(i, b);
          continue;
        }
        const p = held.get(i)!;
        inflight.get(w)!.add(i);
        // A large message that can be read again and owns its buffer is moved, not copied (should the worker
        // stop, it is read again). (A whole buffer is never a slice of Node's small-Buffer pool.)
        const movable =
          b.byteLength >= MOVE_FROM &&
          p.item.load !== undefined &&
          !(b.buffer instanceof SharedArrayBuffer) &&
          (p.item.owned === true || (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength));
        if (movable) {
          transfer.push(b.buffer as ArrayBuffer);
          batch.push({ id: i, bytes: b });
          p.bytes = undefined;
        } else {
          packed.push({ id: i, bytes: b });
          packedSize += b.byteLength;
        }
      }
      if (packed.length > 0) {
        // Its own buffer (not from the small-Buffer pool), not zeroed: every byte is written below.
        const all = Buffer.allocUnsafeSlow(packedSize);
        let at = 0;
        for (const m of packed) {
          all.set(m.bytes, at);
          batch.push({ id: m.id, bytes: all.subarray(at, at + m.bytes.byteLength) });
          at += m.bytes.byteLength;
        }
        transfer.push(all.buffer as ArrayBuffer);
      }
      if (batch.length === 0) return;
      const msg: WorkerRequest = { batch, hash: opts.hash === true, render };
      w.postMessage(msg, transfer);
    };
    /** Whether a worker can take more now (the workers are fed first; this thread verifies what they cannot take). */
    const workerHasRoom = () => {
      for (const w of ready) if (!solo.has(w) && inflight.get(w)!.size < window) return true;
      return false;
    };
    let helping = false;
    /**
     * This thread's share: while messages wait and every worker's window is full (or no worker is ready yet),
     * verify a few of the oldest, then let the event loop deliver the workers' results and read on.
     */
    const help = async () => {
      if (!local || helping) return;
      helping = true;
      try {
        while (!failed && !finished && queue.length > 0 && suspects.length === 0 && !workerHasRoom()) {
          for (let k = 0; k < HELP_RUN && queue.length > 0; k++) {
            const i = queue.shift()!;
            const b = bytesOf(i);
            if (!(b instanceof Uint8Array)) {
              complete(i, b);
              continue;
            }
            const hash = opts.hash ? contentHash(b) : undefined;
            const r = await local.verify(b);
            complete(i, r, hash, 0);
          }
          await new Promise<void>((resolve) => setImmediate(resolve));
          dispatch();
        }
      } catch (e) {
        fail(e);
      } finally {
        helping = false;
      }
    };
    const dispatch = () => {
      if (finished || failed) return;
      // The least busy worker first.
      const order = [...ready].sort((a, b) => inflight.get(a)!.size - inflight.get(b)!.size);
      for (const w of order) {
        const mine = inflight.get(w)!;
        if (solo.has(w)) continue;
        if (suspects.length > 0) {
          // A suspect goes alone to a worker with nothing else in flight.
          if (mine.size > 0) continue;
          const i = suspects.shift()!;
          solo.set(w, i);
          send(w, [i]);
          if (!mine.has(i)) solo.delete(w);
          continue;
        }
        while (queue.length > 0 && mine.size < window) {
          const room = Math.min(batchSize, window - mine.size);
          // A busy worker waits for a full batch while more items are coming.
          if (mine.size > 0 && queue.length < room && !exhausted) break;
          const share = Math.ceil(queue.length / Math.max(1, ready.size));
          const n = Math.min(room, mine.size === 0 ? Math.max(1, share) : room, queue.length);
          send(w, queue.splice(0, n));
        }
      }
    };
    let restarts = 0;
    const spawn = () => {
      const w = startWorker(Worker, setup, opts.workerEntry);
      workers.add(w);
      workerNo.set(w, ++spawned);
      inflight.set(w, new Set());
      let lastError: string | undefined;
      w.on("message", (m: WorkerReply) => {
        if ("ready" in m) {
          ready.add(w);
          readyOnce.add(w);
          dispatch();
          return;
        }
        for (const r of m.results) {
          inflight.get(w)!.delete(r.id);
          if (solo.get(w) === r.id) solo.delete(w);
          complete(r.id, r, r.hash, workerNo.get(w));
        }
        dispatch();
        void help();
      });
      w.on("error", (e) => {
        lastError = e.message;
      });
      w.on("exit", (code) => {
        workers.delete(w);
        ready.delete(w);
        if (finished || failed) return;
        if (!readyOnce.has(w)) {
          fail(
            new Error(
              `verification worker stopped before it was ready (exit ${code}${lastError ? `: ${lastError}` : ""})`,
            ),
          );
          return;
        }
        const heldIds = [...inflight.get(w)!];
        inflight.delete(w);
        solo.delete(w);
        if (++restarts > pulled + 2 * jobs) {
          fail(
            new Error(
              `verification workers keep stopping (exit ${code}${lastError ? `: ${lastError}` : ""})`,
            ),
          );
          return;
        }
        const why = lastError ?? `worker exit ${code}`;
        if (heldIds.length === 1) complete(heldIds[0], stoppedOn(why));
        else suspects.push(...heldIds.sort((a, b) => a - b));
        spawn();
        // Idle workers pick up suspects too.
        dispatch();
      });
    };
    for (let k = 0; k < jobs; k++) spawn();
    void pump();
  });
  await emitting;
}
