/**
 * src/cli/malloc-threshold.ts: the CLI raises glibc malloc's thresholds at start-up, so that memory freed in
 * the run (V8's compiler frees megabytes per function it compiles) stays in malloc's heap for the next
 * allocation instead of going back to the system and being faulted in again. Seen from outside: after it, a
 * block of 7.5 MiB comes from the heap, not from a mapping of its own as glibc gives any block of 128 KiB or
 * more at first; one over 8 MiB still gets its own (which also shows that the probe sees such mappings).
 * Node may raise the threshold by itself, when it frees a large buffer early, so a run without the module is
 * no fixed reference. glibc takes the new thresholds when the dropped buffer is freed, at V8's first
 * young-generation collection (in the CLI, within its first milliseconds of loading code); the probe runs one
 * at once. (bench:archive shows what this saves: the page faults of each CLI run.)
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
 * The memory mappings that appear (or grow) while a buffer of `mib` MiB is made, after importing `first`, in a
 * node with the CLI's flags: their sizes, and whether each is malloc's heap (`[heap]`).
 */
function newMappings(mib: number, first: string): { size: number; heap: boolean }[] {
  const probe = `
    await import(${JSON.stringify(pathToFileURL(first).href)});
    globalThis.gc({ type: "minor" });
    const { readFileSync } = await import("node:fs");
    const maps = () => new Set(readFileSync("/proc/self/maps", "utf8").split("\\n").filter(Boolean));
    const before = maps();
    const b = Buffer.allocUnsafeSlow(${mib} * 1024 * 1024);
    b[0] = 1;
    const added = [...maps()].filter((l) => !before.has(l)).map((l) => {
      const [a, z] = l.split(" ")[0].split("-").map((h) => parseInt(h, 16));
      return { size: z - a, heap: l.trim().endsWith("[heap]") };
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
  return JSON.parse(r.stdout) as { size: number; heap: boolean }[];
}

/**
 * Whether the buffer got a mapping of its own: one outside malloc's heap of at least its size (the kernel may
 * merge it with a neighbouring mapping, so its size is not exact).
 */
const ownMapping = (mib: number, added: { size: number; heap: boolean }[]) =>
  added.some((m) => !m.heap && m.size >= mib * 1024 * 1024);

describe.runIf(glibc)("glibc malloc's thresholds at start-up", () => {
  const module = path.join(REPO_ROOT, "src/cli/malloc-threshold.ts");
  it("after it, a block of 7.5 MiB comes from malloc's heap", () => {
    expect(ownMapping(7.5, newMappings(7.5, module))).toBe(false);
  });

  it("and one of 9 MiB, above the new threshold of 8 MiB, still gets a mapping of its own (what the check looks for)", () => {
    expect(ownMapping(9, newMappings(9, module))).toBe(true);
  });
});
