/**
 * The monitor with hostile certificate names and secret-bearing sink settings, against real receivers on
 * 127.0.0.1: no forged log line, no live Markdown in a Teams card, one day count and one id per alert
 * everywhere, and no secret in stdout, stderr, the SQLite files or /metrics, whoever wrote the error.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactSecrets, secretsOfUrl } from "../../src/lib/redact.js";
import { loadMonitorConfig } from "../../src/monitor/config.js";
import { startMetricsServer } from "../../src/monitor/metrics.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { MonitorStore } from "../../src/monitor/store.js";
import { cli } from "../helpers/cli.js";
import { root } from "../helpers/pki.js";
import { closedPort, type HttpReceiver, httpReceiver } from "./servers.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 7, 0, 0);
const FORGED = "2099-01-01T00:00:00Z smimetrust alert ok resolved";

let http: HttpReceiver;
beforeAll(async () => {
  http = await httpReceiver();
});
afterAll(async () => {
  await http.close();
});

function project(subject: [string, string][], notAfter: number, cfg: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "smimetrust-monhostile-"));
  mkdirSync(join(dir, "trust"));
  const r = root("CN=x", { subject, notBefore: notAfter - 4000 * DAY, notAfter });
  writeFileSync(join(dir, "trust", "root.pem"), r.pem);
  const config = join(dir, "monitor.json");
  writeFileSync(
    config,
    JSON.stringify({ schedule: "0 7 * * *", trustLists: [{ name: "prod", path: "trust" }], ...cfg }, null, 2),
  );
  return { dir, config, cert: r.cert };
}

describe("monitor: hostile names", () => {
  it("a name holding a line break and a fake log line makes one log line per alert, never a second", async () => {
    const p = project([["CN", `Evil\u001b]0;t\u0007\r\n${FORGED}\u2028\u202e`]], NOW + 5 * DAY, {
      sinks: [{ type: "log" }],
    });
    const r = await cli(["monitor", "--config", p.config, "--once"], { now: NOW });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    for (const l of lines) expect(l).not.toMatch(/^2099-01-01T00:00:00Z/);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    const alerts = lines.filter((l) => / smimetrust alert /.test(l));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^2026-06-01T07:00:00Z smimetrust alert ✗ ERROR new TRUST_EXPIRING \[prod\]/);
    expect(alerts[0]).toContain(`\\r\\n${FORGED}\\u2028\\u202e`);
  });

  it("Teams: Markdown in a name is no link, no emphasis; Slack: no line break; the generic webhook keeps it exact", async () => {
    const name = "[Renew here](https://evil.example/login) **now** _x_\n- item";
    const tag = Math.random().toString(36).slice(2, 8);
    const p = project([["CN", name]], NOW + 5 * DAY, {
      sinks: [
        { type: "teams", url: http.url(`/teams/${tag}`) },
        { type: "slack", url: http.url(`/slack/${tag}`) },
        { type: "webhook", url: http.url(`/hook/${tag}`) },
      ],
    });
    const r = await cli(["monitor", "--config", p.config, "--once"], { now: NOW });
    expect(r.code).toBe(1);
    const card = http.on(`/teams/${tag}`)[0].body.attachments[0].content;
    const texts: string[] = [];
    JSON.stringify(card.body, (k, v) => {
      if ((k === "text" || k === "value" || k === "title") && typeof v === "string") texts.push(v);
      return v;
    });
    const withName = texts.filter((t) => t.includes("Renew here"));
    expect(withName.length).toBeGreaterThanOrEqual(3); // the title, the message, the Certificate fact
    for (const t of withName) {
      expect(t).not.toMatch(/(?<!\\)\[Renew here(?<!\\)\]\(/);
      expect(t).not.toMatch(/(?<!\\)\*\*now/);
      expect(t).not.toContain("\n");
      expect(t).toContain("\\[Renew here\\](https://evil.example/login) \\*\\*now\\*\\* \\_x\\_\\\\n- item");
    }
    const slack = JSON.stringify(http.on(`/slack/${tag}`)[0].body);
    // in the JSON sent, a real line break is \n; the name's is shown as text (\\n)
    expect(slack).not.toMatch(/(?<!\\)\\n- item/);
    expect(slack).toContain("_x_\\\\n- item");
    const hook = http.on(`/hook/${tag}`)[0].body;
    expect(hook.alerts[0].certificate.name).toBe(name);
  });
});

describe("monitor: one day count and one id per alert", () => {
  it("the log line, the webhook's daysLeft and its idempotency key agree (sinks with different floors)", async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    // expired 2529.5 days before the run: 'expired N days ago' and daysLeft must be one number
    const p = project([["CN", "Old Root"]], NOW - 2529.5 * DAY, {
      sinks: [{ type: "log" }, { type: "webhook", url: http.url(`/hook/${tag}`), minSeverity: "error" }],
    });
    const r = await cli(["monitor", "--config", p.config, "--once"], { now: NOW });
    expect(r.code).toBe(1);
    const hooks = http.on(`/hook/${tag}`);
    const expired = hooks.flatMap((h) =>
      h.body.alerts
        .filter((a: { code: string }) => a.code === "TRUST_EXPIRED")
        .map((a: unknown) => ({ h, a })),
    );
    expect(expired).toHaveLength(1);
    const { h, a } = expired[0];
    const days = a.certificate.daysLeft as number;
    expect(days).toBe(-2530);
    const line = r.stderr.split("\n").find((l) => l.includes("new TRUST_EXPIRED"))!;
    expect(line).toContain(`expired ${-days} days ago`);
    expect(line).toContain(`id=${h.headers["idempotency-key"]}`);
    expect(h.body.idempotencyKey).toBe(h.headers["idempotency-key"]);
    expect(a.id).toBe(h.headers["idempotency-key"]);
    // the Teams/e-mail fact says the same
    const { expiryText } = await import("../../src/monitor/messages.js");
    expect(expiryText({ notAfter: NOW - 2529.5 * DAY } as never, NOW)).toContain("expired 2530 days ago");
  });
});

// ---------------------------------------------------------------- secrets

const USER = "hookuser";
const PASS = "S3cretPa55w0rd";
const PATH_TOKEN = "PathT0kenXYZ123";
const QUERY_TOKEN = "Qu3ryT0kenABC987";
const HEADER_TOKEN = "HeaderBearerT0k3n";
const SMTP_PASS = "SmtpP4ssw0rdQ";
const SECRETS = [
  `k-${HEADER_TOKEN}`,
  PASS,
  PATH_TOKEN,
  QUERY_TOKEN,
  HEADER_TOKEN,
  SMTP_PASS,
  Buffer.from(`${USER}:${PASS}`).toString("base64"),
  Buffer.from(`\u0000${USER}\u0000${SMTP_PASS}`).toString("base64"), // AUTH PLAIN
  Buffer.from(SMTP_PASS).toString("base64"), // AUTH LOGIN
];

/** Answers every request with 403 (or 500 under /fail), echoing the URL and Authorization header, as some do. */
async function refusingServer(): Promise<{ port: number; close: () => Promise<void>; hits: number }> {
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    req.resume();
    req.on("end", () => {
      res
        .writeHead(req.url?.startsWith("/fail") ? 500 : 403, { "content-type": "text/plain" })
        .end(
          `denied ${req.url} authorization=${req.headers.authorization ?? ""} x-api-key=${req.headers["x-api-key"] ?? ""}`,
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An SMTP server that wants AUTH and refuses it, quoting the password it was given in its answer. */
async function refusingSmtp(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    onAuth(auth, _session, cb) {
      cb(new Error(`535 invalid credentials ${auth.username}/${auth.password}`));
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function filesBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith("monitor.sqlite"))
    .map((f) => readFileSync(join(dir, f)).toString("latin1"))
    .join("\n");
}

describe("monitor: secrets never leave", () => {
  it("redactSecrets: user information, queries, Authorization headers, password pairs, known values", () => {
    const url = `http://${USER}:${PASS}@127.0.0.1:9/hook/${PATH_TOKEN}?token=${QUERY_TOKEN}`;
    const out = redactSecrets(
      `Request cannot be constructed from a URL that includes credentials: ${url}. Authorization: Bearer ${HEADER_TOKEN}, password=${SMTP_PASS}`,
      secretsOfUrl(url),
    );
    for (const s of [PASS, PATH_TOKEN, QUERY_TOKEN, HEADER_TOKEN, SMTP_PASS]) expect(out).not.toContain(s);
    expect(out).toContain("127.0.0.1:9");
    expect(redactSecrets("see https://example.com/crl?x=1 and smtp://u:p@mail:25")).toBe(
      "see https://example.com/crl?*** and smtp://***@mail:25",
    );
  });

  it("webhooks (closed port, 403, 500) and SMTP with credentials: nothing in stdout, stderr, the database or /metrics", async () => {
    const closed = await closedPort();
    const refusing = await refusingServer();
    const smtp = await refusingSmtp();
    try {
      const p = project([["CN", "Contoso Root"]], NOW + 5 * DAY, {
        sinks: [
          {
            name: "closed",
            type: "webhook",
            url: `http://${USER}:${PASS}@127.0.0.1:${closed}/hook/${PATH_TOKEN}?token=${QUERY_TOKEN}`,
            headers: { authorization: `Bearer ${HEADER_TOKEN}` },
          },
          {
            name: "refusing",
            type: "webhook",
            url: `http://${USER}:${PASS}@127.0.0.1:${refusing.port}/hook/${PATH_TOKEN}?token=${QUERY_TOKEN}`,
            headers: { "x-api-key": `k-${HEADER_TOKEN}` },
          },
          {
            name: "failing",
            type: "teams",
            url: `http://127.0.0.1:${refusing.port}/fail/${PATH_TOKEN}?sig=${QUERY_TOKEN}`,
          },
          {
            name: "mail",
            type: "email",
            host: "127.0.0.1",
            port: smtp.port,
            user: USER,
            passwordEnv: "SMTP_PASSWORD",
            from: "monitor@contoso.com",
            to: ["pki@contoso.com"],
          },
          { type: "log" },
        ],
      });
      const env = { SMTP_PASSWORD: SMTP_PASS };
      const r1 = await cli(["monitor", "--config", p.config, "--once", "--json"], { now: NOW, env });
      const r2 = await cli(["monitor", "--config", p.config, "--once"], { now: NOW + 60_000, env });
      expect(r1.code).toBe(1);
      expect(refusing.hits).toBeGreaterThanOrEqual(2); // the requests were made, with their credentials
      const doc = JSON.parse(r1.stdout);
      expect(doc.delivery.failed.map((f: { sink: string }) => f.sink).sort()).toEqual([
        "closed",
        "failing",
        "mail",
        "refusing",
      ]);
      const errors = Object.fromEntries(
        doc.delivery.failed.map((f: { sink: string; error: string }) => [f.sink, f.error]),
      );
      expect(errors.refusing).toContain("HTTP 403");
      expect(errors.failing).toContain("HTTP 500");
      expect(errors.mail).toMatch(/SMTP 127\.0\.0\.1:\d+: .*535/);
      expect(r2.stderr).toContain("could not deliver to sink 'refusing'");

      // the metrics endpoint of the same database
      const config = loadMonitorConfig(p.config, () => true);
      const store = new MonitorStore(config.database);
      const monitor = new Monitor(config, { store, now: () => NOW + 120_000, log: () => {}, env });
      const metrics = await startMetricsServer({
        port: 0,
        host: "127.0.0.1",
        snapshot: () => monitor.metricsSnapshot(),
        healthy: () => monitor.health(NOW + 120_000, { since: NOW }),
      });
      const scraped = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      const health = await (await fetch(`http://127.0.0.1:${metrics.port}/healthz`)).text();
      await metrics.close();
      const lastErrors = store.db.prepare("SELECT last_error FROM deliveries").all();
      store.close();
      expect(lastErrors.length).toBeGreaterThanOrEqual(4);
      expect(scraped).toContain("smimetrust_certificate_not_after_timestamp_seconds");

      const everything = [
        r1.stdout,
        r1.stderr,
        r2.stdout,
        r2.stderr,
        scraped,
        health,
        filesBytes(p.dir),
      ].join("\n");
      for (const s of SECRETS) expect(everything).not.toContain(s);
      expect(JSON.stringify(lastErrors)).toContain("127.0.0.1");
    } finally {
      await refusing.close();
      await smtp.close();
    }
  }, 60_000);
});
