// Bundles the command line with esbuild: the `smimetrust` the package installs. Node then starts a few modules
// instead of some two hundred, and a `verify` of one message takes 0.17 s of CPU instead of 0.30 s
// (docs/verify.md#speed).
// The code is split: dist/smimetrust.js holds the command table and what every command needs; each command,
// and the code it alone uses, is a chunk under dist/chunks/ that loads when that command runs (a `verify`
// reads neither the dashboard's web server nor the HTTP client it does not use).
// better-sqlite3 (a native module) and playwright-core stay outside and load from node_modules, as do the
// Outlook readers that src/io/outlook.ts requires at run time. The library (dist/index.js) is not bundled.
// Usage: node scripts/bundle.mjs [OUTDIR]   (default dist/)
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Writes OUTDIR/smimetrust.js (the CLI, executable), its chunks in OUTDIR/chunks/ (the verify worker threads'
 * entry among them) and OUTDIR/smimetrust.licenses.txt (the licence of every package whose code the bundle
 * carries). Returns those packages: [{ name, version, license }].
 */
export async function bundle(outdir) {
  // Chunks are named by their content's hash: those of an earlier build would stay behind.
  rmSync(path.join(outdir, "chunks"), { recursive: true, force: true });
  rmSync(path.join(outdir, "verify-worker.js"), { force: true }); // where builds before the split put it
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      smimetrust: "src/cli/main.ts",
      // verify-pool.ts starts workers from ./verify-worker.js beside the module it runs in: a chunk, as it is
      // shared by the verify command and the worker (test/cli/bundle.test.ts runs `verify --jobs 2`).
      "chunks/verify-worker": "src/io/verify-worker.ts",
    },
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["better-sqlite3", "playwright-core"],
    banner: {
      js: "// Other packages' code is bundled here: their licences are in smimetrust.licenses.txt, beside smimetrust.js.",
    },
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
  giveRequire(result.metafile);
  chmodSync(path.join(outdir, "smimetrust.js"), 0o755);
  return writeLicenses(result.metafile, outdir);
}

/**
 * Dependencies written as CommonJS call require() for Node's modules, and an ES module has none of its own:
 * the chunk that holds esbuild's require shim gets one (createRequire). Only that chunk: each createRequire
 * costs start-up time, and a `verify` loads some thirty chunks.
 */
function giveRequire(metafile) {
  const shim = 'typeof require !== "undefined"';
  const lines =
    'import { createRequire as __smimetrustRequire } from "node:module";\nconst require = __smimetrustRequire(import.meta.url);\n';
  for (const out of Object.keys(metafile.outputs)) {
    if (!out.endsWith(".js")) continue;
    const file = path.join(root, out);
    const text = readFileSync(file, "utf8");
    if (!text.includes(shim)) continue;
    // After the hashbang and the banner's comment: the first line that is neither.
    const lineStarts = text.split("\n");
    const at = lineStarts.findIndex((l) => !l.startsWith("#!") && !l.startsWith("//"));
    lineStarts.splice(at, 0, lines.trimEnd());
    writeFileSync(file, lineStarts.join("\n"));
  }
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
    `smimetrust.js and its chunks (chunks/) carry code of the following packages, under these licences.\n\n${parts.join("\n")}`,
  );
  return packages.map(({ name, version, license }) => ({ name, version, license }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await bundle(path.resolve(root, process.argv[2] ?? "dist"));
}
