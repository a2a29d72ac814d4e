/**
 * Issue 9, "Files": a monitor database locked by another process ends in one clear line naming the file and
 * what holds it (a smimetrust process as it recorded itself, or a process found with the file open), after the
 * busy timeout set by --busy-timeout or databaseBusyTimeoutSeconds, not "internal error: database is locked".
 * Real SQLite, a real second process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MonitorStore } from "../../src/monitor/store.js";
import { REPO_ROOT, spawnCli, TSX_LOADER } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const dir = mkdtempSync(join(tmpdir(), "smimetrust-dblock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const r = root("CN=Lock Root,O=Test", { days: 3000 });
writeFileSync(join(dir, "root.pem"), r.pem);

function project(name: string, extra: Record<string, unknown> = {}) {
  const db = join(dir, `${name}.sqlite`);
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      schedule: "0 7 * * *",
      database: db,
      trustLists: [{ name: "prod", path: "root.pem" }],
      sinks: [{ type: "log" }],
      ...extra,
    }),
  );
  new MonitorStore(db).close(); // the database exists, as after a first run
  return { db, config };
}

let holder: ChildProcess | undefined;
afterEach(() => {
  if (holder?.pid && holder.exitCode === null) holder.kill();
  holder = undefined;
});

/** Starts the second process and resolves once it holds the lock. */
function hold(db: string, mode: "smimetrust" | "plain"): Promise<ChildProcess> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      ["--import", TSX_LOADER, resolve(REPO_ROOT, "test/monitor/lock-holder.ts"), db, mode],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    holder = child;
    let err = "";
    child.stderr!.on("data", (d) => {
      err += d;
    });
    child.stdout!.on("data", (d) => {
      if (String(d).includes("locked")) ok(child);
    });
    child.on("exit", (code) => fail(new Error(`lock holder exited ${code}: ${err}`)));
  });
}

describe("a locked monitor database", () => {
  it("held by another smimetrust monitor: one line naming the file, the holder's pid, and the setting", async () => {
    const p = project("held");
    const child = await hold(p.db, "smimetrust");
    const res = spawnCli(["monitor", "--config", p.config, "--once", "--busy-timeout", "0.3"]);
    expect(res.code).toBe(2);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/internal error/);
    expect(lines[0]).toContain(
      `smimetrust: ${p.db}: the monitor database is locked by smimetrust monitor (pid ${child.pid}, open since 20`,
    );
    expect(lines[0]).toMatch(
      /waited 0\.3 s\. .*"databaseBusyTimeoutSeconds" in the config or --busy-timeout <seconds>$/,
    );
  });

  it("the config key sets the wait when --busy-timeout is not given", async () => {
    const p = project("configured", { databaseBusyTimeoutSeconds: 0.25 });
    await hold(p.db, "smimetrust");
    const res = spawnCli(["monitor", "--config", p.config, "--once"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/waited 0\.25 s/);
  });

  it("held by another program (not smimetrust): named from /proc on Linux, or said to be another program", async () => {
    const p = project("plain");
    const child = await hold(p.db, "plain");
    const res = spawnCli(["monitor", "--config", p.config, "--once", "--busy-timeout", "0.2"]);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    if (process.platform === "linux")
      expect(res.stderr).toMatch(new RegExp(`locked by node \\(pid ${child.pid}\\)`));
    else expect(res.stderr).toMatch(/locked by another program/);
  });

  it("once the holder is gone, the run goes through; a holder that died is no longer named", async () => {
    const p = project("released");
    const child = await hold(p.db, "smimetrust");
    child.kill("SIGKILL");
    await new Promise((ok) => child.once("exit", ok));
    const res = spawnCli(["monitor", "--config", p.config, "--once", "--busy-timeout", "0.3"]);
    expect(res.stderr).toMatch(/run \d+: /);
    expect(res.code).toBe(0);
  });

  it("--busy-timeout must be a number of seconds", () => {
    const p = project("badopt");
    const res = spawnCli(["monitor", "--config", p.config, "--once", "--busy-timeout", "soon"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--busy-timeout: 'soon' is not a number of seconds/);
  });
});
