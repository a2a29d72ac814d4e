// Bundles the command line into one file (esbuild), with the verify worker beside it: the `smimetrust` the
// package installs. Node then starts one module instead of some two hundred, and a `verify` of one message
// takes about half the CPU (0.13 s against 0.27 s, docs/verify.md#speed).
// better-sqlite3 (a native module) and playwright-core stay outside and load from node_modules, as do the
// Outlook readers that src/io/outlook.ts requires at run time. The library (dist/index.js) is not bundled.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist/)
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Writes OUTDIR/smimetrust.js (the CLI, executable), OUTDIR/verify-worker.js (its worker threads' entry) and
 * OUTDIR/smimetrust.licenses.txt (the licence of every package whose code the bundle carries). Returns those
 * packages: [{ name, version, license }].
 */
export async function bundle(outdir) {
  const result = await build({
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
      js: '// Other packages\' code is bundled here: their licences are in smimetrust.licenses.txt beside this file.\nimport { createRequire as __smimetrustRequire } from "node:module";\nconst require = __smimetrustRequire(import.meta.url);',
    },
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
  chmodSync(path.join(outdir, "smimetrust.js"), 0o755);
  return writeLicenses(result.metafile, outdir);
}

/** The bundle carries other packages' code: their licences (MIT and the like ask for the notice) go beside it. */
function writeLicenses(metafile, outdir) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const rest = input.slice(at + "node_modules/".length).split("/");
    dirs.add(
      input.slice(0, at) + ["node_modules", ...rest.slice(0, rest[0].startsWith("@") ? 2 : 1)].join("/"),
    );
  }
  const packages = [...dirs].sort().map((dir) => {
    const meta = JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8"));
    const file = readdirSync(path.join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(path.join(root, dir, file), "utf8").trim() : undefined;
    return { name: meta.name, version: meta.version, license: meta.license ?? "(none given)", text };
  });
  const parts = packages.map(
    (p) =>
      `${p.name} ${p.version} (${p.license})\n${"-".repeat(72)}\n${p.text ?? `No licence file in the package; its package.json gives ${p.license}.`}\n`,
  );
  writeFileSync(
    path.join(outdir, "smimetrust.licenses.txt"),
    `smimetrust.js and verify-worker.js carry code of the following packages, under these licences.\n\n${parts.join("\n")}`,
  );
  return packages.map(({ name, version, license }) => ({ name, version, license }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(path.resolve(root, process.argv[2] ?? "dist"));
}
