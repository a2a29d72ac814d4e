/**
 * The order and keys of a Maildir's messages (src/io/maildir.ts) and of a folder's entries (src/io/files.ts),
 * which now keep names only and make paths as they go: the same as sorting objects of full paths gave, which
 * is what --jsonl indexes, --resume keys and --shard shares rest on.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { folderEntries } from "../../src/io/files.js";
import { maildirMessages, maildirUnique } from "../../src/io/maildir.js";

const root = mkdtempSync(join(tmpdir(), "smimetrust-maildir-order-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describe("Maildir order", () => {
  it("sorts by unique name, then cur/ before new/, then the name; keys drop the flags (property)", () => {
    const name = fc
      .tuple(
        fc.constantFrom("a", "ab", "b", "a.b", "A", "1", "é"),
        fc.option(fc.constantFrom(":2,S", ":2,RS", ":2,", ":x")),
      )
      .map(([u, info]) => `${u}${info ?? ""}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 8 }),
        fc.uniqueArray(name, { maxLength: 8 }),
        (inNew, inCur) => {
          const dir = join(root, `md${n++}`);
          for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
          for (const f of inNew) writeFileSync(join(dir, "new", f), "x");
          for (const f of inCur) writeFileSync(join(dir, "cur", f), "x");
          writeFileSync(join(dir, "tmp", "in-delivery"), "x");
          // The model: objects of full paths, sorted as before.
          const model = [
            ...inNew.map((f) => ({ unique: maildirUnique(f), path: join(dir, "new", f) })),
            ...inCur.map((f) => ({ unique: maildirUnique(f), path: join(dir, "cur", f) })),
          ]
            .sort((a, b) => (a.unique < b.unique ? -1 : a.unique > b.unique ? 1 : a.path < b.path ? -1 : 1))
            .map((m) => ({ path: m.path, key: join(dir, m.unique) }));
          expect([...maildirMessages(dir)]).toEqual(model);
        },
      ),
      { seed: 5, numRuns: 40 },
    );
  });
});

describe("folder entries", () => {
  it("folders and files sorted by name, hidden ones and dangling links left out, links followed", () => {
    const dir = join(root, "folder");
    mkdirSync(join(dir, "sub"), { recursive: true });
    for (const f of ["b.eml", "a.eml", ".hidden", "C.eml", "é.eml"]) writeFileSync(join(dir, f), "x");
    symlinkSync(join(dir, "a.eml"), join(dir, "link-to-a"));
    symlinkSync(join(dir, "sub"), join(dir, "link-to-sub"));
    symlinkSync(join(dir, "gone"), join(dir, "dangling"));
    expect([...folderEntries(dir)]).toEqual([
      { path: join(dir, "C.eml"), isDir: false },
      { path: join(dir, "a.eml"), isDir: false },
      { path: join(dir, "b.eml"), isDir: false },
      { path: join(dir, "link-to-a"), isDir: false },
      { path: join(dir, "link-to-sub"), isDir: true },
      { path: join(dir, "sub"), isDir: true },
      { path: join(dir, "é.eml"), isDir: false },
    ]);
  });

  it("a folder that cannot be listed throws at once, not when its entries are read", () => {
    expect(() => folderEntries(join(root, "no-such-folder"))).toThrow(/ENOENT/);
  });
});
