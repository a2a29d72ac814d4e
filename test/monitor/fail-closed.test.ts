/**
 * Issue 9, "No silent partial results", for the monitor: a watched folder holding a file that cannot be read
 * fails closed. The file is a CHECK_FAILED naming it and the source is not audited from the rest, so a finding
 * about a certificate in that file is never "resolved" because the file broke. `skipUnreadable` checks the rest.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const DAY = 86_400_000;
const base = mkdtempSync(join(tmpdir(), "smimetrust-monitor-closed-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const soon = root("CN=Soon Expiring Root,O=Test", { notAfter: Date.now() + 20 * DAY });
const fine = root("CN=Fine Root,O=Test", { days: 3000 });

function project(name: string, extra: Record<string, unknown> = {}) {
  const dir = join(base, name);
  mkdirSync(join(dir, "trust"), { recursive: true });
  writeFileSync(join(dir, "trust", "fine.pem"), fine.pem);
  writeFileSync(join(dir, "trust", "soon.pem"), soon.pem);
  const config = join(dir, "monitor.json");
  writeFileSync(
    config,
    JSON.stringify({
      schedule: "0 7 * * *",
      trustLists: [{ name: "prod", path: "trust" }],
      sinks: [{ type: "log" }],
      ...extra,
    }),
  );
  return { dir, config };
}

const once = (config: string) => {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "monitor", "--config", config, "--once", "--json"],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return { code: r.status, doc: JSON.parse(r.stdout), stderr: r.stderr };
};
const changes = (doc: { changes: { kind: string; code: string }[] }) =>
  doc.changes.map((c) => `${c.kind}:${c.code}`).sort();

describe("monitor: unreadable files in a watched folder", () => {
  it("fail closed: CHECK_FAILED names the file, nothing is resolved because the file broke", () => {
    const p = project("closed");
    const first = once(p.config);
    expect(changes(first.doc)).toEqual(["new:TRUST_EXPIRING"]);
    // The file with the expiring root is truncated: its finding must stay open, not be "resolved".
    writeFileSync(join(p.dir, "trust", "soon.pem"), soon.pem.slice(0, 180));
    const broken = once(p.config);
    expect(broken.code).toBe(2);
    expect(changes(broken.doc)).toEqual(["new:CHECK_FAILED"]);
    expect(broken.doc.failures).toHaveLength(1);
    expect(broken.doc.failures[0].error).toMatch(/soon\.pem: PEM block without a matching END line/);
    expect(broken.doc.findings.map((f: { code: string }) => f.code).sort()).toEqual([
      "CHECK_FAILED",
      "TRUST_EXPIRING",
    ]);
    // Fixed again: the failure resolves, the expiry finding was never closed.
    writeFileSync(join(p.dir, "trust", "soon.pem"), soon.pem);
    expect(changes(once(p.config).doc)).toEqual(["resolved:CHECK_FAILED"]);
  });

  it("skipUnreadable: the rest of the folder is still checked (and the file is still a CHECK_FAILED)", () => {
    const p = project("skip", { skipUnreadable: true });
    expect(changes(once(p.config).doc)).toEqual(["new:TRUST_EXPIRING"]);
    writeFileSync(join(p.dir, "trust", "soon.pem"), soon.pem.slice(0, 180));
    const broken = once(p.config);
    expect(broken.code).toBe(2);
    expect(changes(broken.doc)).toEqual(["new:CHECK_FAILED", "resolved:TRUST_EXPIRING"]);
  });
});
