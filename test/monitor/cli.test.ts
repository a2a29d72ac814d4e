import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cron } from "croner";
import { afterAll, describe, expect, it } from "vitest";
import { maxQuietMs } from "../../src/cli/commands/monitor-run.js";
import { cli as runCli } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 7, 0, 0);
const REPO = join(__dirname, "..", "..");

const cli = (argv: string[], now = NOW) => runCli(argv, { now });

function project(opts: { notAfter: number; extra?: Record<string, unknown> }) {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-moncli-"));
  mkdirSync(join(dir, "trust"));
  const r = root("CN=Monitor CLI Root,O=Contoso", {
    notBefore: opts.notAfter - 900 * DAY,
    notAfter: opts.notAfter,
  });
  writeFileSync(join(dir, "trust", "root.pem"), r.pem);
  writeFileSync(
    join(dir, "monitor.json"),
    JSON.stringify(
      {
        schedule: "0 7 * * *",
        trustLists: [{ name: "prod", path: "trust" }],
        sinks: [{ type: "log" }],
        ...opts.extra,
      },
      null,
      2,
    ),
  );
  return { dir, config: join(dir, "monitor.json"), cert: r.cert };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("smimetrust monitor --once", () => {
  it("runs one pass with check's exit codes; --json; the log sink on stderr; nothing new on the second run", async () => {
    const p = project({ notAfter: NOW + 20 * DAY });
    const r1 = await cli(["monitor", "--config", p.config, "--once", "--json"]);
    expect(r1.code).toBe(1);
    const doc = JSON.parse(r1.stdout);
    expect(doc.run).toBe(1);
    expect(doc.changes).toEqual([
      {
        kind: "new",
        code: "TRUST_EXPIRING",
        severity: "warning",
        watched: "prod",
        cert: p.cert.sha1,
        message: expect.stringContaining("20 days left"),
        id: expect.any(String),
      },
    ]);
    expect(r1.stderr).toContain(` id=${doc.changes[0].id}\n`);
    expect(doc.findings[0]).toMatchObject({
      code: "TRUST_EXPIRING",
      cert: p.cert.sha1,
      watched: "prod",
      threshold: "30d",
    });
    expect(r1.stderr).toMatch(/smimetrust alert ! WARNING new TRUST_EXPIRING \[prod\]/);
    expect(r1.stderr).toContain("run 1: 1 finding (0 error, 1 warning, 0 info), 1 change, 1 delivery sent");
    const r2 = await cli(["monitor", "--config", p.config, "--once", "--json"], NOW + DAY);
    expect(r2.code).toBe(1);
    expect(JSON.parse(r2.stdout).changes).toEqual([]);
    expect(r2.stderr).not.toContain("smimetrust alert");
  });

  it("a bad config is one line and exit 2", async () => {
    const p = project({ notAfter: NOW + 400 * DAY, extra: { scedule: 1 } });
    const r = await cli(["monitor", "--config", p.config, "--once"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`smimetrust: ${p.config}: invalid configuration: scedule: unknown key\n`);
    const q = project({
      notAfter: NOW + 400 * DAY,
      extra: { sinks: [{ type: "teams", url: "teams" }], schedule: "61 * * * *" },
    });
    const r2 = await cli(["monitor", "--config", q.config, "--once"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split("\n")).toHaveLength(1);
    expect(r2.stderr).toContain("schedule: '61 * * * *' is not a cron expression");
    expect(r2.stderr).toContain("sinks[0].url: 'teams' is not a URL");
    const r3 = await cli(["monitor", "--config", p.config, "--json"]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("--json needs --once");
  });

  it("spawned for real: 0 when clean, 2 when a watched file cannot be read", () => {
    const p = project({ notAfter: Date.now() + 400 * DAY });
    const once = (cfg: string) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "monitor", "--config", cfg, "--once"],
        { cwd: REPO, encoding: "utf8" },
      );
    const ok = once(p.config);
    expect(ok.stderr).toContain("run 1: 0 findings");
    expect(ok.status).toBe(0);
    writeFileSync(
      join(p.dir, "trust", "zz-broken.pem"),
      "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    const bad = once(p.config);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/smimetrust alert ✗ ERROR new CHECK_FAILED \[prod\].*zz-broken\.pem/);
  });
});

/** Parses the Prometheus text exposition format into samples. */
function parseExposition(text: string) {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not exposition format: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/g;
    let consumed = 0;
    for (let x = re.exec(body); x; x = re.exec(body)) {
      labels[x[1]] = x[2].replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
      consumed += x[0].length;
    }
    if (consumed !== body.length) throw new Error(`bad labels: ${body}`);
    const value = Number(m[3]);
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    if (!types.has(m[1])) throw new Error(`sample before its TYPE: ${m[1]}`);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

describe("smimetrust monitor (long-running)", () => {
  it("runs on its cron schedule, serves /metrics (parsed) and /healthz, stops cleanly on SIGTERM", async () => {
    const notAfter = Date.now() + 45 * DAY + 3600_000;
    const p = project({ notAfter, extra: { schedule: "*/1 * * * * *", metrics: { port: 0 } } });
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "monitor", "--config", p.config],
      { cwd: REPO },
    );
    children.push(child);
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err += d));
    const waitFor = async (re: RegExp, ms = 20_000) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const m = re.exec(err);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${re} in:\n${err}`);
    };
    const port = Number((await waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
    await waitFor(/run 2: /); // the start-up run and at least one scheduled run
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const { types, samples } = parseExposition(await res.text());
    expect(types.get("smimetrust_certificate_not_after_timestamp_seconds")).toBe("gauge");
    const exp = samples.find((s) => s.name === "smimetrust_certificate_not_after_timestamp_seconds");
    expect(exp?.labels).toEqual({
      list: "prod",
      subject: "CN=Monitor CLI Root, O=Contoso",
      sha1: p.cert.sha1,
      role: "root",
      owner: "",
    });
    expect(exp!.value).toBe(p.cert.notAfter / 1000);
    const calendar = await fetch(`http://127.0.0.1:${port}/calendar.ics`);
    expect(calendar.status).toBe(200);
    expect(await calendar.text()).toContain(`\r\nUID:${p.cert.sha1}-expiry@smimetrust\r\n`);
    expect(samples.find((s) => s.name === "smimetrust_findings")).toEqual({
      name: "smimetrust_findings",
      labels: { code: "TRUST_EXPIRING", severity: "info" },
      value: 1,
    });
    expect(samples.find((s) => s.name === "smimetrust_last_run_success")?.value).toBe(1);
    const ts = samples.find((s) => s.name === "smimetrust_last_run_timestamp_seconds")!.value;
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toMatch(/^ok: last run /);
    // one change only, however many runs
    expect(err.match(/smimetrust alert/g)).toHaveLength(1);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(err).toContain("monitor stopped");
  });
});

describe("the bundled examples", () => {
  it("examples/monitor.json works as written: one clean pass, exit 0 (run on a copy, so the repository stays clean)", async () => {
    const { cpSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-example-"));
    // a copy without any database a run in place may have left (ignored by git, but not by cpSync)
    cpSync(join(REPO, "examples"), dir, { recursive: true, filter: (src) => !/monitor\.sqlite/.test(src) });
    const r = await cli(
      ["monitor", "--config", join(dir, "monitor.json"), "--once", "--json"],
      Date.UTC(2026, 10, 28),
    );
    expect(r.stderr).toContain("run 1: 0 findings");
    expect(r.code).toBe(0);
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, "monitor.sqlite"))).toBe(true);
  });

  it("run in place, examples/monitor.json leaves nothing git would track (its database is ignored)", () => {
    const git = spawnSync(
      "git",
      ["check-ignore", "-q", "examples/monitor.sqlite", "examples/monitor.sqlite-wal"],
      {
        cwd: REPO,
      },
    );
    if (git.error || git.status === 128) return; // not a git checkout
    expect(git.status).toBe(0);
    const cfg = JSON.parse(readFileSync(join(REPO, "examples/monitor.json"), "utf8"));
    expect(cfg.database).toBe("monitor.sqlite");
  });

  it("examples/monitor/all-sinks.json validates (every sink type, an export with a maximum age)", async () => {
    const { loadMonitorConfig } = await import("../../src/monitor/config.js");
    const { existsSync } = await import("node:fs");
    const c = loadMonitorConfig(join(REPO, "examples/monitor/all-sinks.json"), existsSync);
    expect(c.sinks.map((s) => s.type)).toEqual(["log", "webhook", "teams", "slack", "email"]);
    expect(c.trustLists[0].maxAgeHours).toBe(26);
    expect(c.alerts.mode).toBe("digest");
  });
});

describe("monitor: how quiet is too quiet", () => {
  it("allows two schedule periods and a minute between runs before /healthz answers 503", () => {
    expect(maxQuietMs(new Cron("0 7 * * *", { paused: true, timezone: "Etc/UTC" }))).toBe(
      2 * 86_400_000 + 60_000,
    );
    expect(maxQuietMs(new Cron("*/15 * * * *", { paused: true, timezone: "Etc/UTC" }))).toBe(
      2 * 900_000 + 60_000,
    );
  });
});
