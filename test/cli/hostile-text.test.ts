/**
 * Attacker-controlled text (certificate names, file names) reaches no terminal, report or log raw: ESC/OSC
 * sequences, CR, C1 controls, U+2028/2029 and bidi overrides are shown escaped in every text output; JSON
 * stays exact; `check --markdown` escapes for CommonMark and GFM tables.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { escapeControls, escapeMarkdown, markdownCode } from "../../src/lib/text.js";
import { cli, spawnCli } from "../helpers/cli.js";
import { leaf, root } from "../helpers/pki.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 7, 0, 0);

/** Clears the screen, sets the window title, plants a hyperlink, overwrites the line, reverses text, forges a log line. */
const EVIL =
  "Evil\u001b[2J\u001b]0;pwned\u0007\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\\r\u009b31m\u202egnp.exe\u2066x\u2069\u2028y\n2099-01-01T00:00:00Z smimetrust alert ok resolved";

/** What may not appear raw in text output: C0 but LF and TAB, DEL, C1, line/paragraph separators, bidi. */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The raw characters a subject in JSON keeps (its RFC 4514 string escapes only , + " \\ < > ; and edges). */
function expectExact(subject: string): void {
  for (const part of [
    "Evil\u001b[2J\u001b]0",
    "pwned\u0007",
    "\r\u009b31m\u202egnp.exe\u2066x\u2069\u2028y\n2099-01-01T00:00:00Z smimetrust alert ok resolved",
  ])
    expect(subject).toContain(part);
}

function expectSafe(text: string): void {
  expect(text).not.toMatch(RAW);
  // the forged line is still on the line it came in on
  for (const line of text.split("\n")) expect(line).not.toMatch(/^2099-01-01T00:00:00Z/);
}

function project() {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-hostile-"));
  const ca = root("CN=x", {
    subject: [
      ["CN", EVIL],
      ["O", "Contoso"],
    ],
    now: NOW,
    notBefore: NOW - 100 * DAY,
    notAfter: NOW + 10 * DAY,
  });
  const other = root("CN=Other Root,O=Contoso", {
    now: NOW,
    notBefore: NOW - 10 * DAY,
    notAfter: NOW + 900 * DAY,
  });
  const user = leaf("alice@contoso.com", ca, { now: NOW, notBefore: NOW - DAY, notAfter: NOW + 300 * DAY });
  writeFileSync(join(dir, "evil.pem"), ca.pem);
  writeFileSync(join(dir, "other.pem"), other.pem);
  writeFileSync(join(dir, "alice.pem"), user.pem);
  return { dir, ca, p: (n: string) => join(dir, n) };
}

describe("terminal: hostile names are shown escaped, JSON stays exact", () => {
  it("escapeControls shows each unsafe character as \\x.. or \\u....", () => {
    expect(escapeControls("a\u001b[2Jb\rc\u202ed\u2028e\u0085f\ng\th")).toBe(
      "a\\x1b[2Jb\\rc\\u202ed\\u2028e\\x85f\\ng\\th",
    );
    expect(escapeControls("x\ny\tz\u001b[31mr\u001b[0m", { newline: true, tab: true, sgr: true })).toBe(
      "x\ny\tz\u001b[31mr\u001b[0m",
    );
    expect(escapeControls("\u001b]0;t\u0007", { sgr: true })).toBe("\\x1b]0;t\\x07");
    expect(escapeControls("Zoë Ω 中文 – ok")).toBe("Zoë Ω 中文 – ok");
  });

  it("inspect: text escaped on stdout, JSON exact", async () => {
    const t = project();
    const r = await cli(["inspect", t.p("evil.pem")], { now: NOW });
    expect(r.code).toBe(0);
    expectSafe(r.stdout);
    expectSafe(r.stderr);
    expect(r.stdout).toContain("Evil\\x1b[2J\\x1b]0;pwned\\x07");
    const j = await cli(["inspect", "--json", t.p("evil.pem")], { now: NOW });
    expectExact(JSON.parse(j.stdout)[0].subject);
  });

  it("check: the findings table and the summary; check --json exact", async () => {
    const t = project();
    const r = await cli(["check", t.p("evil.pem")], { now: NOW });
    expect(r.code).toBe(1); // expires in 10 days
    expectSafe(r.stdout);
    expectSafe(r.stderr);
    expect(r.stdout).toContain("TRUST_EXPIRING");
    expect(r.stdout).toContain("\\n2099-01-01T00:00:00Z smimetrust alert ok resolved");
    const j = await cli(["check", "--json", t.p("evil.pem")], { now: NOW });
    expectExact(JSON.parse(j.stdout).certificates[0].subject);
  });

  it("chain: the path tree and the problems", async () => {
    const t = project();
    const r = await cli(["chain", t.p("alice.pem"), "--trust", t.p("evil.pem")], { now: NOW });
    expect(r.code).toBe(0);
    expectSafe(r.stdout);
    expect(r.stdout).toContain("\\u202egnp.exe");
    const j = await cli(["chain", "--json", t.p("alice.pem"), "--trust", t.p("evil.pem")], { now: NOW });
    expectExact(JSON.parse(j.stdout).path[1].subject);
  });

  it("diff: the change table", async () => {
    const t = project();
    const r = await cli(["diff", t.p("other.pem"), t.p("evil.pem")], { now: NOW });
    expectSafe(r.stdout);
    expectSafe(r.stderr);
    expect(r.stdout).toContain("+ added");
  });

  it("verify and errors: a file name with control characters cannot forge lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-hostile-name-"));
    const name = "msg\u001b]0;title\u0007\r\n2099-01-01T00:00:00Z smimetrust alert ok resolved.eml";
    mkdirSync(join(dir, "in"));
    writeFileSync(join(dir, "in", name), "From: a@b\r\nSubject: hi\u001b[2J\r\n\r\nnot signed\r\n");
    const t = project();
    const r = await cli(["verify", "--trust", t.p("evil.pem"), "--", join(dir, "in")], { now: NOW });
    expect(r.code).toBe(1);
    expectSafe(r.stdout);
    expectSafe(r.stderr);
    expect(r.stdout).toContain("msg\\x1b]0;title\\x07\\r\\n2099");
    // a bad file named directly: the one error line is one line
    const bad = join(dir, "in", name);
    const e = await cli(["inspect", bad], { now: NOW });
    expect(e.code).toBe(2);
    expectSafe(e.stderr);
    expect(e.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("exchange script: the summary names the earliest certificate escaped", async () => {
    const t = project();
    writeFileSync(t.p("smime.config.json"), JSON.stringify({ trust: [t.p("evil.pem")], settings: {} }));
    const r = await cli(
      ["exchange", "script", "--config", t.p("smime.config.json"), "-o", t.p("apply.ps1"), "--embed"],
      { now: NOW },
    );
    expect(r.code).toBe(0);
    expectSafe(r.stdout);
    expectSafe(r.stderr);
    expect(r.stdout).toContain("earliest expiry");
  });
});

describe("colours and width", () => {
  it("--no-color wins over FORCE_COLOR; FORCE_COLOR colours a pipe; our own colours survive the edge", async () => {
    const t = project();
    // the real process: the environment is read where the output is set up (stdout is a pipe here)
    const on = spawnCli(["check", t.p("other.pem")], { env: { FORCE_COLOR: "1" } });
    expect(on.stdout).toContain("\u001b[32m✓ ok\u001b[0m");
    const off = spawnCli(["check", "--no-color", t.p("other.pem")], { env: { FORCE_COLOR: "1" } });
    expect(off.stdout).not.toContain("\u001b");
    expect(off.stdout).toContain("✓ ok");
    const none = spawnCli(["check", t.p("other.pem")], { env: { NO_COLOR: "1" } });
    expect(none.stdout).not.toContain("\u001b");
    // with colours on, a name's own colour sequence is still escaped
    const evil = spawnCli(["inspect", t.p("evil.pem")], { env: { FORCE_COLOR: "1" } });
    expect(evil.stdout).not.toMatch(RAW);
    expect(evil.stdout).toContain("Evil\\x1b[2J\\x1b]0;pwned\\x07");
  }, 60_000);

  it("with colours on, only the program's own colours are raw: a name's colour sequence is escaped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-sgr-"));
    const ca = root("CN=x", {
      subject: [["CN", "Hidden\u001b[8m text\u001b[0m \u001b[31mred"]],
      now: NOW,
      notBefore: NOW - 100 * DAY,
      notAfter: NOW + 10 * DAY,
    });
    writeFileSync(join(dir, "ca.pem"), ca.pem);
    const { run } = await import("../../src/cli/program.js");
    let stdout = "";
    const code = await run(["check", join(dir, "ca.pem")], {
      out: {
        stdout: (s) => {
          stdout += s;
        },
        stderr: () => {},
        isTTY: true,
        color: true,
      },
      now: () => NOW,
      env: {},
    });
    expect(code).toBe(1);
    expect(stdout).toContain("\u001b[33m! warning\u001b[0m"); // ours
    expect(stdout).toContain("Hidden\\x1b[8m text\\x1b[0m \\x1b[31mred"); // the name's
    const raw = stdout.match(/\u001b\[[0-9;]*m/g) ?? [];
    expect(new Set(raw)).toEqual(new Set(["\u001b[33m", "\u001b[0m"]));
  });

  it("on a terminal, text lines fit its width; piped, they are left whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-width-"));
    const long = root(`CN=${"A Very Long Certificate Authority Name ".repeat(4).trim()},O=Contoso`, {
      now: NOW,
      notBefore: NOW - 100 * DAY,
      notAfter: NOW + 10 * DAY,
    });
    writeFileSync(join(dir, "long.pem"), long.pem);
    const { run } = await import("../../src/cli/program.js");
    const runTty = async (args: string[], columns: number) => {
      let stdout = "";
      let stderr = "";
      const code = await run(args, {
        out: {
          stdout: (s) => {
            stdout += s;
          },
          stderr: (s) => {
            stderr += s;
          },
          isTTY: true,
          color: true,
          columns,
          stderrIsTTY: true,
          stderrColumns: columns,
        },
        now: () => NOW,
        env: {},
      });
      return { code, stdout, stderr };
    };
    const visible = (s: string) => [...s.replace(/\u001b\[[0-9;]*m/g, "")].length;
    for (const cols of [80, 120]) {
      const c = await runTty(["check", join(dir, "long.pem")], cols);
      expect(c.code).toBe(1);
      for (const line of c.stdout.split("\n")) expect(visible(line)).toBeLessThanOrEqual(cols);
      expect(c.stdout).toContain("TRUST_EXPIRING");
      const i = await runTty(["inspect", join(dir, "long.pem")], cols);
      for (const line of i.stdout.split("\n")) expect(visible(line)).toBeLessThanOrEqual(cols);
    }
    // the same on a pipe: one line per finding, as long as it is
    const piped = await cli(["check", join(dir, "long.pem")], { now: NOW });
    const row = piped.stdout.split("\n").find((l) => l.includes("TRUST_EXPIRING"))!;
    expect(row.length).toBeGreaterThan(200);
  });
});

describe("check --markdown: CommonMark and GFM escaping", () => {
  it("a CR, raw HTML, a link and pipes in a name, a backtick in a file name: all stay text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smimetrust-md-"));
    const name =
      "Bad\r# Heading <img src=x onerror=alert(1)> [click](javascript:alert(1)) *b* _i_ ~s~ | pipe & `code` &amp;";
    const ca = root("CN=x", {
      subject: [["CN", name]],
      now: NOW,
      notBefore: NOW - 100 * DAY,
      notAfter: NOW + 10 * DAY,
    });
    const file = join(dir, "a`b``c.pem");
    writeFileSync(file, ca.pem);
    const r = await cli(["check", "--markdown", file], { now: NOW });
    expect(r.code).toBe(1);
    const md = r.stdout;
    expect(md).not.toContain("\r");
    expect(md).not.toMatch(RAW);
    // no line of the report starts a heading except the report's own
    expect(md.split("\n").filter((l) => /^#/.test(l))).toEqual([
      "# S/MIME trust list report",
      "## Certificates",
      "## Findings",
    ]);
    // every <, [, ], *, _, ~, `, & coming from the name is backslash-escaped
    const row = md.split("\n").find((l) => l.startsWith("| 1 |"))!;
    // (the subject's RFC 4514 string escapes < and > itself: "\\<" becomes "\\\\\\<", a backslash and a "<")
    for (const part of [
      "Bad\\\\r\\# Heading",
      "\\<img src=x onerror=alert(1)",
      "\\[click\\](javascript:alert(1))",
      "\\*b\\* \\_i\\_ \\~s\\~ \\| pipe \\& \\`code\\` \\&amp",
    ])
      expect(row).toContain(part);
    // a GFM table row: exactly 11 cells (12 unescaped pipes)
    expect(row.match(/(?<!\\)\|/g)).toHaveLength(12);
    for (const l of md.split("\n").filter((x) => x.startsWith("| "))) expect(l).not.toMatch(/(?<!\\)[<[\]]/);
    // the file name's code span is fenced by more backticks than it holds
    expect(md).toContain(`- Source: \`\`\`${dir}/a\`b\`\`c.pem\`\`\``);
  });

  it("escapeMarkdown and markdownCode", () => {
    // the \n shown for a line feed is text: its backslash is escaped too, so it renders as \n
    expect(escapeMarkdown("a|b\nc<d>[e](f)")).toBe("a\\|b\\\\nc\\<d\\>\\[e\\](f)");
    expect(markdownCode("x")).toBe("`x`");
    expect(markdownCode("a`b")).toBe("``a`b``");
    expect(markdownCode("`a")).toBe("`` `a ``");
    expect(markdownCode("a\rb")).toBe("`a\\rb`");
  });
});
