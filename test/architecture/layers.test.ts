/**
 * The layer rules (.dependency-cruiser.cjs, DESIGN.md): imports point down only, no cycles, a pure core,
 * and the process touched only by cli/. Checked with dependency-cruiser and biome's lint, on the real tree
 * and on a scratch tree that breaks each rule once (so the rules cannot silently stop biting).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

const CONFIG = resolve(REPO_ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = resolve(REPO_ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const BIOME = resolve(REPO_ROOT, "node_modules/.bin/biome");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

interface Cruised {
  modules: { source: string; dependencies: { resolved: string }[] }[];
  summary: { violations: Violation[] };
}

function cruiseJson(cwd: string): Cruised {
  const r = spawnSync(process.execPath, [DEPCRUISE, "src", "--config", CONFIG, "--output-type", "json"], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  return JSON.parse(r.stdout) as Cruised;
}

const cruise = (cwd: string) => cruiseJson(cwd).summary.violations;

/** The source tree, cruised once for the tests that read it. */
let tree: Cruised | undefined;
const srcTree = () => {
  tree ??= cruiseJson(REPO_ROOT);
  return tree;
};

/** Every module `from` loads, directly or not. */
function reachable(c: Cruised, from: string): string[] {
  const deps = new Map(c.modules.map((m) => [m.source, m.dependencies.map((d) => d.resolved)]));
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length)
    for (const d of deps.get(todo.pop()!) ?? [])
      if (!seen.has(d)) {
        seen.add(d);
        todo.push(d);
      }
  return [...seen];
}

const show = (v: Violation[]) => v.map((x) => `${x.rule.name}: ${x.from} -> ${x.to}`).join("\n");

describe("layer rules", () => {
  it("hold on the source tree", () => {
    const v = srcTree().summary.violations;
    expect(v, show(v)).toEqual([]);
  });

  it("let path validation load only what it needs (AIA downloads through formats/aia.ts, no PFX, no MIME)", () => {
    const loaded = reachable(srcTree(), "src/path/validate.ts").filter((s) => s.startsWith("src/"));
    expect(loaded).toContain("src/formats/aia.ts");
    expect(
      loaded.filter((s) => /^src\/(formats\/(read|pfx|message|sst)|mime\/|lib\/(pbe|rc2))/.test(s)),
    ).toEqual([]);
  });

  it("keep console and the process global out of everything below the front ends (biome)", () => {
    const r = spawnSync(BIOME, ["lint", "--diagnostic-level=error", "src"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  describe("bite on a tree that breaks them", () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-layers-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const put = (file: string, text: string) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    put(
      "tsconfig.json",
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }),
    );
    put("package.json", JSON.stringify({ name: "scratch", type: "module" }));
    put("src/cli/main.ts", "export const main = 1;\n");
    put("src/x509/upward.ts", 'import { main } from "../cli/main.js";\nexport const u = main;\n');
    put("src/trust/a.ts", 'import { b } from "../revocation/b.js";\nexport const a = b;\n');
    put("src/revocation/b.ts", "export const b = 2;\n");
    put(
      "src/path/reads-files.ts",
      'import { readFileSync } from "node:fs";\nexport const r = readFileSync;\n',
    );
    put("src/io/argv.ts", 'import process from "node:process";\nexport const argv = process.argv;\n');
    put("src/smime/p.ts", 'import { q } from "./q.js";\nexport const p = () => q;\n');
    put("src/smime/q.ts", 'import { p } from "./p.js";\nexport const q = () => p;\n');

    it("and name each broken rule", () => {
      const v = cruise(dir);
      const got = new Set(v.map((x) => `${x.rule.name} ${x.from} -> ${x.to}`));
      expect(got).toContain("layer-x509 src/x509/upward.ts -> src/cli/main.ts");
      expect(got).toContain("layer-trust src/trust/a.ts -> src/revocation/b.ts");
      expect(got).toContain("core-is-pure src/path/reads-files.ts -> fs");
      expect(got).toContain("process-only-in-front-ends src/io/argv.ts -> process");
      expect([...got].some((s) => s.startsWith("no-cycles src/smime/"))).toBe(true);
    });
  });
});
