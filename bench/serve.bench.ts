/**
 * `smimetrust serve` with 5,000 certificates (100 roots, 49 intermediates under each, made with the test
 * suite's factory): how fast the inventory page answers over real HTTP on 127.0.0.1, from the request to the
 * last byte. Goal: under 200 ms. Run: npm run bench:serve  (node --import tsx bench/serve.bench.ts)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/web/server.js";
import { intermediate, makeKey, root } from "../test/helpers/pki.js";

const NOW = Date.UTC(2026, 5, 1);
const GOAL_MS = 200;

const dir = mkdtempSync(join(tmpdir(), "smimetrust-serve-bench-"));
try {
  const t0 = performance.now();
  const key = makeKey({ type: "ec" });
  const pems: string[] = [];
  for (let r = 0; r < 100; r++) {
    const ca = root(`CN=Bench Root ${r},O=Bench ${r % 7},C=US`, { key, now: NOW, days: 3650 + r });
    pems.push(ca.pem);
    for (let i = 0; i < 49; i++)
      pems.push(
        intermediate(`CN=Bench Issuing CA ${r}-${i},O=Bench ${r % 7},C=US`, ca, {
          key,
          now: NOW,
          days: 30 + ((r * 49 + i) % 1500),
          noKeyIds: true,
        }).pem,
      );
  }
  writeFileSync(join(dir, "list.pem"), pems.join(""));
  const made = performance.now();
  const server = await startServer({
    inputs: [join(dir, "list.pem")],
    host: "127.0.0.1",
    port: 0,
    version: "bench",
    now: () => NOW,
  });
  const loaded = performance.now();
  console.log(
    `${pems.length} certificates: made in ${Math.round(made - t0)} ms, read and audited by serve in ${Math.round(loaded - made)} ms`,
  );
  const base = server.url.replace(/\/$/, "");
  const cases: [string, string, boolean][] = [
    ["inventory page (default: by expiry, 250 rows)", "/inventory", true],
    ["inventory, sorted by subject, descending", "/inventory?sort=subject&dir=desc", true],
    ["inventory, search 'root 4' + role filter", "/inventory?q=root+4&role=ca", true],
    ["inventory, page 20", "/inventory?page=20", true],
    ["overview", "/", false],
    ["JSON export of all 5,000", "/api/inventory.json", false],
  ];
  let failed = false;
  for (const [label, path, goal] of cases) {
    for (let i = 0; i < 5; i++) await (await fetch(base + path)).arrayBuffer(); // warm-up
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 40; i++) {
      const s = performance.now();
      const r = await fetch(base + path);
      size = (await r.arrayBuffer()).byteLength;
      times.push(performance.now() - s);
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    const p95 = times[Math.floor(times.length * 0.95)];
    const ok = !goal || p95 < GOAL_MS;
    if (!ok) failed = true;
    console.log(
      `${label.padEnd(48)} median ${med.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms  ${String(size).padStart(8)} bytes${goal ? (ok ? "  ok (< 200 ms)" : "  SLOWER THAN 200 ms") : ""}`,
    );
  }
  await server.close();
  if (failed) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
