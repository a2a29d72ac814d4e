/**
 * The layer rules of smimetrust (see DESIGN.md and README's Development section), checked in the test
 * suite by test/architecture/layers.test.ts. Imports point down only:
 *
 *   front ends   cli/ (the commands; it wires the others)  >  web/, exchange-api/  >  monitor/
 *   edge         io/ (files, stdin, HTTP, disk cache, atomic writes, worker pool)
 *   domain       exchange/  >  smime/, audit/  >  path/  >  trust/, revocation/
 *   formats      formats/ (PEM, P7B, .sst, PFX, mail, Exchange export)  >  cms/, mime/
 *   model        x509/
 *   ground       lib/, problems.ts, errors.ts
 *
 * A folder may import its own files and any folder of a lower rank; folders of equal rank stay apart, so
 * there can be no cycle between folders. index.ts (the library's entry) may import anything.
 */
const RANK = {
  lib: 0,
  "problems.ts": 0,
  "errors.ts": 0,
  x509: 1,
  cms: 2,
  mime: 2,
  formats: 3,
  trust: 4,
  revocation: 4,
  path: 5,
  smime: 6,
  audit: 6,
  exchange: 7,
  io: 8,
  monitor: 9,
  web: 10,
  "exchange-api": 10,
  cli: 11,
};
const CORE_MAX = RANK.exchange;
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const unit = (name) => (name.endsWith(".ts") ? `^src/${esc(name)}$` : `^src/${esc(name)}/`);

const forbidden = [];
for (const [from, rf] of Object.entries(RANK)) {
  const targets = Object.entries(RANK)
    .filter(([to, rt]) => to !== from && rt >= rf && !(rf === 0 && rt === 0))
    .map(([to]) => to);
  if (targets.length === 0) continue;
  forbidden.push({
    name: `layer-${from.replace(".ts", "")}`,
    comment: `src/${from} (rank ${rf}) may import only lower layers; not ${targets.join(", ")}`,
    severity: "error",
    from: { path: unit(from) },
    to: { path: targets.map(unit) },
  });
}
forbidden.push({
  name: "no-cycles",
  comment: "no import cycles between modules either (type-only imports aside: they vanish when compiled)",
  severity: "error",
  from: { path: "^src/" },
  to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
});
forbidden.push({
  name: "core-is-pure",
  comment: "the core takes bytes and values: no file system, network, threads, processes or terminal",
  severity: "error",
  from: {
    path: Object.entries(RANK)
      .filter(([, r]) => r <= CORE_MAX)
      .map(([n]) => unit(n)),
  },
  to: {
    dependencyTypes: ["core", "npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"],
    pathNot: ["^(node:)?(crypto|path|buffer|util|string_decoder)$"],
  },
});
forbidden.push({
  name: "process-only-in-front-ends",
  comment: "below the front ends nothing touches the process (argv, env, exit, stdio); it takes them as arguments",
  severity: "error",
  from: { path: "^src/", pathNot: "^src/(cli|monitor|web|exchange-api)/" },
  to: { path: "^(node:)?(process|tty|readline)$" },
});
forbidden.push({
  name: "cms-owns-cms",
  comment: "smime/ holds S/MIME and Exchange policy over decoded CMS values; DER belongs to cms/",
  severity: "error",
  from: { path: "^src/smime/" },
  to: { path: "^src/lib/der\\.ts$" },
});
forbidden.push({
  name: "no-unresolvable",
  severity: "error",
  from: {},
  to: { couldNotResolve: true },
});
forbidden.push({
  name: "src-not-to-tests",
  severity: "error",
  from: { path: "^src/" },
  to: { path: "^(test|bench|scripts)/" },
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
