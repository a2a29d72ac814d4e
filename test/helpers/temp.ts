/** A temporary folder for one test file, removed after its tests, and a writer of files inside it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

export function tempFolder(prefix: string): {
  dir: string;
  /** Writes a file at a path relative to the folder (its folders made as needed); returns the full path. */
  write: (name: string, data: string | Uint8Array) => string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, data) => {
      const p = path.join(dir, name);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, data);
      return p;
    },
  };
}
