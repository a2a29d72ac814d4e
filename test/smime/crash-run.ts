/**
 * Runs verifyBatch with the misbehaving worker of crash-worker.ts and prints what happened as JSON (the
 * worker pool needs real worker threads, so the test runs this in a process of its own).
 *   node --import tsx test/smime/crash-run.ts crash|fail-at-start
 */
import { verifyBatch } from "../../src/io/verify-pool.js";
import { smimeMessage } from "../helpers/smime.js";
import { fixture } from "./pki-fixture.js";

const f = fixture();
const entry = new URL("./crash-worker.ts", import.meta.url);
const mode = process.argv[2];
const crash = new Set([3, 17, 18, 30]);
const message = (i: number) =>
  smimeMessage({
    from: "alice@contoso.com",
    subject: crash.has(i) ? "CRASH-THIS-WORKER" : `message ${i}`,
    signers: [{ signer: f.rsa }],
    certs: [f.rsa.der, f.ca.der],
  });
const items = Array.from({ length: mode === "crash" ? 40 : 2 }, (_, i) => ({
  name: `m${i}`,
  bytes: message(i),
}));
const results: { i: number; name: string; verdict: string; codes: string[] }[] = [];
try {
  await verifyBatch(
    items,
    { trust: [mode === "crash" ? f.root.der : Buffer.from("FAIL-AT-START")], at: f.now, now: f.now },
    {
      // Two workers and no verifying in this thread: every message goes to the misbehaving worker.
      jobs: 2,
      callerRuns: false,
      window: 8,
      workerEntry: entry,
      onResult: (i, item, r) => {
        results.push({ i, name: item.name, verdict: r.verdict, codes: r.problems.map((p) => p.code) });
      },
    },
  );
  console.log(JSON.stringify({ results, crash: [...crash] }));
} catch (e) {
  console.log(JSON.stringify({ results, error: (e as Error).message }));
}
