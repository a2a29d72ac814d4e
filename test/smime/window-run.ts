/**
 * Runs verifyBatch with worker threads over an async stream that counts how far it was read, and prints how
 * far reading ever got ahead of the results (verify-pool's window), as JSON. The pool needs real worker
 * threads, so the test runs this in a process of its own.
 *   node --import tsx test/smime/window-run.ts
 */
import { verifyBatch } from "../../src/io/verify-pool.js";
import { smimeMessage } from "../helpers/smime.js";
import { fixture } from "./pki-fixture.js";

const f = fixture();
const bytes = smimeMessage({
  from: "alice@contoso.com",
  signers: [{ signer: f.rsa }],
  certs: [f.rsa.der, f.ca.der],
});
let pulled = 0;
let maxAhead = 0;
const order: number[] = [];
async function* stream() {
  for (let i = 0; i < 200; i++) {
    pulled++;
    yield { name: `m${i}`, bytes: Uint8Array.from(bytes) };
  }
}
await verifyBatch(
  stream(),
  { trust: [f.root.der], at: f.now, now: f.now },
  {
    jobs: 2,
    window: 4,
    batch: 2,
    hash: true,
    onResult: (i, _item, r, info) => {
      maxAhead = Math.max(maxAhead, pulled - i);
      order.push(i);
      if (r.verdict !== "valid" || info.hash?.length !== 16) throw new Error(`message ${i}: ${r.verdict}`);
    },
  },
);
console.log(JSON.stringify({ maxAhead, inOrder: order.every((x, k) => x === k), count: order.length }));
