/**
 * src/cli/malloc-threshold.ts: the CLI raises glibc malloc's thresholds at start-up, so that memory freed in
 * the run (V8's compiler frees megabytes per function it compiles) stays in malloc's heap for the next
 * allocation instead of going back to the system and being faulted in again. Seen from outside: after it, a
 * 4 MiB block comes from the heap, not from a mapping of its own as glibc gives any block of 128 KiB or more
 * at first. glibc takes the new thresholds when the dropped buffer is freed, at V8's first young-generation
 * collection (in the CLI, within its first milliseconds of loading code); the probe below runs one at once.
 * (bench:archive shows what this saves: the page faults of each CLI run.)
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI_NODE_FLAGS, REPO_ROOT, TSX_LOADER } from "../helpers/cli.js";

const glibc =
  process.platform === "linux" &&
  (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime !== undefined;

/**
 * Sizes of the memory mappings that appear while a 4 MiB buffer is made, after importing `first` (or not), in a
 * node with the CLI's flags.
 */
function newMappings(first?: string): number[] {
  const probe = `
    ${first ? `await import(${JSON.stringify(pathToFileURL(first).href)});` : ""}
    globalThis.gc({ type: "minor" });
    const { readFileSync } = await import("node:fs");
    const maps = () => new Set(readFileSync("/proc/self/maps", "utf8").split("\\n").filter(Boolean));
    const before = maps();
    const b = Buffer.allocUnsafeSlow(4 * 1024 * 1024);
    b[0] = 1;
    const added = [...maps()].filter((l) => !before.has(l)).map((l) => {
      const [a, z] = l.split(" ")[0].split("-").map((h) => parseInt(h, 16));
      return z - a;
    });
    console.log(JSON.stringify(added));`;
  const r = spawnSync(
    process.execPath,
    [...CLI_NODE_FLAGS, "--expose-gc", "--import", TSX_LOADER, "--input-type=module", "-e", probe],
    {
      encoding: "utf8",
    },
  );
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as number[];
}

/** A block mapped on its own: the 4 MiB and glibc's header, to the page. */
const OWN_MAPPING = 4 * 1024 * 1024 + 4096;

describe.runIf(glibc)("glibc malloc's thresholds at start-up", () => {
  it("without it, a 4 MiB buffer gets a mapping of its own (what the check below looks for)", () => {
    expect(newMappings()).toContain(OWN_MAPPING);
  });

  it("after it, a 4 MiB buffer comes from malloc's heap", () => {
    expect(newMappings(path.join(REPO_ROOT, "src/cli/malloc-threshold.ts"))).not.toContain(OWN_MAPPING);
  });
});
