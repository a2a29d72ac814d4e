// Bundles the command line into one file (esbuild), with the verify worker beside it: the `smimetrust` the
// package installs. Node then starts one module instead of some two hundred, and a `verify` of one message
// takes about half the CPU (0.13 s against 0.27 s, docs/verify.md#speed).
// better-sqlite3 (a native module) and playwright-core stay outside and load from node_modules, as do the
// Outlook readers that src/io/outlook.ts requires at run time. The library (dist/index.js) is not bundled.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist/)
import { chmodSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Writes OUTDIR/smimetrust.js (the CLI, executable) and OUTDIR/verify-worker.js (its worker threads' entry). */
export async function bundle(outdir) {
  await build({
    absWorkingDir: root,
    entryPoints: {
      smimetrust: "src/cli/main.ts",
      // verify-pool.ts starts workers from ./verify-worker.js beside the module it runs in: here, the bundle.
      "verify-worker": "src/io/verify-worker.ts",
    },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["better-sqlite3", "playwright-core"],
    // Dependencies written as CommonJS call require() for Node's modules; an ES module has none of its own.
    banner: {
      js: 'import { createRequire as __smimetrustRequire } from "node:module";\nconst require = __smimetrustRequire(import.meta.url);',
    },
    legalComments: "linked",
    logLevel: "warning",
  });
  chmodSync(path.join(outdir, "smimetrust.js"), 0o755);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(path.resolve(root, process.argv[2] ?? "dist"));
}
