/**
 * The monitor's memory, in SQLite (better-sqlite3): every run and its findings, the open findings (the
 * state alerts are computed against), every alert, and an outbox of messages with one delivery row per
 * sink. A run's results and its outbox rows are written in one transaction, so a crash never loses an
 * alert nor sends one twice; pending deliveries are retried on the next run.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { hostname } from "node:os";
import process from "node:process";
import Database from "better-sqlite3";
import { SmimetrustError } from "../errors.js";
import { redactSecrets } from "../lib/redact.js";
import type { Severity } from "../problems.js";
import type { Alert, MonitorFinding, StateEntry } from "./evaluate.js";
import type { OutgoingMessage } from "./messages.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT,            -- ok | findings | failed
  findings INTEGER,
  alerts INTEGER,
  error TEXT
);
CREATE TABLE IF NOT EXISTS findings (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  scope TEXT NOT NULL,
  code TEXT NOT NULL,
  severity TEXT NOT NULL,
  cert TEXT,
  tier TEXT,
  message TEXT NOT NULL,
  hint TEXT
);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id);
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  message_id TEXT,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  code TEXT NOT NULL,
  severity TEXT NOT NULL,
  cert TEXT,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  created_at TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  message_id TEXT NOT NULL REFERENCES messages(id),
  sink TEXT NOT NULL,
  status TEXT NOT NULL,   -- pending | sending (claimed until claimed_until) | sent
  claimed_until TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  PRIMARY KEY (message_id, sink)
);
CREATE TABLE IF NOT EXISTS holders (
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at TEXT NOT NULL,
  command TEXT NOT NULL,
  PRIMARY KEY (pid, host)
);
CREATE TABLE IF NOT EXISTS certificates (
  scope TEXT NOT NULL,
  sha1 TEXT NOT NULL,
  subject TEXT NOT NULL,
  not_after TEXT NOT NULL,
  PRIMARY KEY (scope, sha1)
);
`;

/**
 * Migrations by PRAGMA user_version, each run once in a transaction: 1 = snoozes, digest schedule marks,
 * and when a sink's delivery first failed (for SINK_FAILED).
 */
const MIGRATIONS: string[] = [
  `
CREATE TABLE IF NOT EXISTS snoozes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target TEXT NOT NULL,     -- a problem code or a SHA-1 thumbprint
  by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL,
  until TEXT NOT NULL,
  severity TEXT,            -- the highest severity of its findings when made (worse breaks through)
  tier TEXT,                -- their most urgent expiry tier when made
  removed_at TEXT,
  removed_by TEXT
);
CREATE TABLE IF NOT EXISTS digests (
  sink TEXT PRIMARY KEY,
  last_at TEXT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN first_failed_at TEXT;
`,
];

const iso = (ms: number) => new Date(ms).toISOString();

export interface Snooze {
  id: number;
  target: string;
  by: string;
  reason: string;
  createdAt: number;
  until: number;
  severity?: Severity;
  tier?: string;
  removedAt?: number;
  removedBy?: string;
}

interface SnoozeRow {
  id: number;
  target: string;
  by: string;
  reason: string;
  created_at: string;
  until: string;
  severity: Severity | null;
  tier: string | null;
  removed_at: string | null;
  removed_by: string | null;
}

function snoozeOf(r: SnoozeRow): Snooze {
  return {
    id: r.id,
    target: r.target,
    by: r.by,
    reason: r.reason,
    createdAt: Date.parse(r.created_at),
    until: Date.parse(r.until),
    ...(r.severity ? { severity: r.severity } : {}),
    ...(r.tier ? { tier: r.tier } : {}),
    ...(r.removed_at ? { removedAt: Date.parse(r.removed_at) } : {}),
    ...(r.removed_by ? { removedBy: r.removed_by } : {}),
  };
}

export interface CertSnapshot {
  scope: string;
  sha1: string;
  subject: string;
  notAfter: number;
  /** Absent for rows recorded before the column existed (until the next run rewrites them). */
  notBefore?: number;
  /** root (self-signed CA), intermediate (other CA) or user (any other certificate). */
  role?: "root" | "intermediate" | "user";
}

export interface RunRecord {
  id: number;
  startedAt: number;
  finishedAt?: number;
  status?: "ok" | "findings" | "failed";
  findings?: number;
  alerts?: number;
  error?: string;
}

/** A finding as a run recorded it. */
export interface RunFinding {
  key: string;
  scope: string;
  code: string;
  severity: Severity;
  cert?: string;
  message: string;
  hint?: string;
}

export interface AlertRecord {
  runId: number;
  at: number;
  kind: string;
  code: string;
  severity: Severity;
  cert?: string;
}

export interface DeliveryRecord {
  messageId: string;
  sink: string;
  status: "pending" | "sending" | "sent";
  attempts: number;
  createdAt: number;
  sentAt?: number;
  lastError?: string;
}

export interface PendingDelivery {
  message: OutgoingMessage;
  sink: string;
  attempts: number;
}

export interface RunCommit {
  runId: number;
  finishedAt: number;
  status: "ok" | "findings" | "failed";
  error?: string;
  findings: MonitorFinding[];
  state: StateEntry[];
  alerts: Alert[];
  /** Messages to queue, each with the sinks it goes to. */
  messages: { message: OutgoingMessage; sinks: string[] }[];
  /** Fresh certificate snapshots, by scope (scopes not given keep their previous snapshot). */
  certificates: Map<string, CertSnapshot[]>;
  /** Digest sinks whose schedule mark moves to `at` (their digest is among the messages, or it is their first run). */
  digests?: { sink: string; at: number }[];
}

/** How long SQLite waits for a lock another process holds, by default (ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface StoreOptions {
  /** How long to wait for a lock held by another process before failing with DatabaseBusyError (ms). */
  busyTimeoutMs?: number;
  /** What this process is, as other processes will see it when it holds the lock ("smimetrust monitor"). */
  command?: string;
}

/** A process that has the database open, as recorded in its `holders` table (or found in /proc). */
export interface Holder {
  pid: number;
  host: string;
  since?: string;
  command: string;
}

/**
 * The monitor database stayed locked by another process longer than the busy timeout. The message names the
 * file, who holds it (a smimetrust process as it recorded itself, or a process found holding the file open) and
 * the setting that makes the wait longer.
 */
export class DatabaseBusyError extends SmimetrustError {
  override readonly code = "ERR_DATABASE_BUSY";
  readonly holders: Holder[];
  constructor(file: string, holders: Holder[], waitedMs: number) {
    const who = holders.length
      ? holders
          .map(
            (h) =>
              `${h.command} (pid ${h.pid}${h.host === hostname() ? "" : ` on ${h.host}`}${h.since ? `, open since ${h.since}` : ""})`,
          )
          .join(", ")
      : "another program (no smimetrust process has it open: a sqlite3 shell, a backup or a copy in progress?)";
    super(
      `the monitor database is locked by ${who}; waited ${waitedMs / 1000} s. Let that process finish (or stop it), or wait longer with "databaseBusyTimeoutSeconds" in the config or --busy-timeout <seconds>`,
      { file },
    );
    this.holders = holders;
  }
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Processes of this machine that have `file` (or its -wal/-shm) open, from /proc (Linux); empty elsewhere or
 * when /proc cannot be read. Used when no smimetrust process recorded itself as a holder.
 */
export function processesWithFileOpen(file: string, exclude = process.pid): Holder[] {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return [];
  }
  const names = new Set([real, `${real}-wal`, `${real}-shm`, `${real}-journal`]);
  const out: Holder[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const p of pids.slice(0, 20_000)) {
    const pid = Number(p);
    if (pid === exclude) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    const open = fds.some((fd) => {
      try {
        return names.has(readlinkSync(`/proc/${p}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (!open) continue;
    let command = "a process";
    try {
      // The program's name from its command line: comm is the main thread's name, which Node 24 sets to
      // "MainThread".
      const argv0 = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0] ?? "";
      command = argv0.split("/").pop() || readFileSync(`/proc/${p}/comm`, "utf8").trim() || command;
    } catch {
      /* keep the generic name */
    }
    out.push({ pid, host: hostname(), command });
  }
  return out;
}

export class MonitorStore {
  readonly db: Database.Database;
  readonly file: string;
  private readonly busyTimeoutMs: number;

  /** Opens (or creates) the database; throws DatabaseBusyError when another process keeps it locked. */
  constructor(file: string, opts: StoreOptions = {}) {
    this.file = file;
    this.busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.db = new Database(file);
    try {
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.round(this.busyTimeoutMs))}`);
      this.db.pragma("journal_mode = WAL");
      this.db.exec(SCHEMA);
      this.addCertificateColumns();
      this.migrate();
      // Say who has the database open, so a process that finds it locked can name the holder. Rows of
      // processes of this machine that died without closing are removed.
      const host = hostname();
      const rows = this.db.prepare("SELECT pid FROM holders WHERE host = ?").all(host) as { pid: number }[];
      const del = this.db.prepare("DELETE FROM holders WHERE pid = ? AND host = ?");
      this.db.transaction(() => {
        for (const r of rows) if (r.pid === process.pid || !alive(r.pid)) del.run(r.pid, host);
        this.db
          .prepare("INSERT OR REPLACE INTO holders (pid, host, started_at, command) VALUES (?, ?, ?, ?)")
          .run(process.pid, host, iso(Date.now()), opts.command ?? "smimetrust");
      })();
    } catch (e) {
      const err = this.busyError(e);
      this.db.close();
      throw err;
    }
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version >= MIGRATIONS.length) return;
    // BEGIN IMMEDIATE and a second look: two processes opening a fresh database migrate it once.
    this.db
      .transaction(() => {
        const now = this.db.pragma("user_version", { simple: true }) as number;
        for (let v = now; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
  }

  /**
   * A lock error as DatabaseBusyError naming the holders (recorded smimetrust processes that are still alive,
   * else processes found with the file open); any other error as it is.
   */
  busyError(e: unknown): unknown {
    if (!isBusy(e)) return e;
    let holders: Holder[] = [];
    try {
      const host = hostname();
      holders = (
        this.db.prepare("SELECT pid, host, started_at, command FROM holders ORDER BY started_at").all() as {
          pid: number;
          host: string;
          started_at: string;
          command: string;
        }[]
      )
        .filter((h) => !(h.pid === process.pid && h.host === host) && (h.host !== host || alive(h.pid)))
        .map((h) => ({ pid: h.pid, host: h.host, since: h.started_at, command: h.command }));
    } catch {
      holders = [];
    }
    if (holders.length === 0) holders = processesWithFileOpen(this.file);
    return new DatabaseBusyError(this.file, holders, this.busyTimeoutMs);
  }

  close(): void {
    try {
      this.db.pragma("busy_timeout = 200");
      this.db.prepare("DELETE FROM holders WHERE pid = ? AND host = ?").run(process.pid, hostname());
    } catch {
      /* locked or read-only: the next process to open it removes the row of a process that is gone */
    }
    this.db.close();
  }

  startRun(now: number): number {
    return Number(this.db.prepare("INSERT INTO runs (started_at) VALUES (?)").run(iso(now)).lastInsertRowid);
  }

  /** Closes a run that broke before its results could be recorded (the state is left as it was). */
  failRun(runId: number, now: number, error: string): void {
    this.db
      .prepare("UPDATE runs SET finished_at = ?, status = 'failed', error = ? WHERE id = ?")
      .run(iso(now), redactSecrets(error), runId);
  }

  /** The open findings of the last run. */
  loadState(): StateEntry[] {
    return this.db
      .prepare("SELECT json FROM state ORDER BY rowid")
      .all()
      .map((r) => JSON.parse((r as { json: string }).json) as StateEntry);
  }

  /** Writes a run's outcome, its new state, its alerts and the outbox rows, atomically. */
  commitRun(c: RunCommit): void {
    const tx = this.db.transaction(() => {
      this.db
        .prepare(
          "UPDATE runs SET finished_at = ?, status = ?, findings = ?, alerts = ?, error = ? WHERE id = ?",
        )
        .run(
          iso(c.finishedAt),
          c.status,
          c.findings.length,
          c.alerts.length,
          c.error === undefined ? null : redactSecrets(c.error),
          c.runId,
        );
      const fi = this.db.prepare(
        "INSERT INTO findings (run_id, key, scope, code, severity, cert, tier, message, hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const f of c.findings)
        fi.run(
          c.runId,
          f.key,
          f.scope,
          f.code,
          f.severity,
          f.cert ?? null,
          f.tier ?? null,
          f.message,
          f.hint ?? null,
        );
      this.db.prepare("DELETE FROM state").run();
      const si = this.db.prepare("INSERT INTO state (key, json) VALUES (?, ?)");
      for (const s of c.state) si.run(s.key, JSON.stringify(s));
      const msgOf = new Map<Alert, string>();
      for (const m of c.messages) for (const a of m.message.alerts) msgOf.set(a, m.message.id);
      const ai = this.db.prepare(
        "INSERT INTO alerts (run_id, message_id, kind, key, code, severity, cert, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const a of c.alerts)
        ai.run(
          c.runId,
          msgOf.get(a) ?? null,
          a.kind,
          a.key,
          a.code,
          a.severity,
          a.cert ?? null,
          JSON.stringify(a),
        );
      const mi = this.db.prepare("INSERT INTO messages (id, run_id, created_at, json) VALUES (?, ?, ?, ?)");
      const di = this.db.prepare(
        "INSERT INTO deliveries (message_id, sink, status, created_at) VALUES (?, ?, 'pending', ?)",
      );
      for (const m of c.messages) {
        mi.run(m.message.id, c.runId, iso(m.message.createdAt), JSON.stringify(m.message));
        for (const s of m.sinks) di.run(m.message.id, s, iso(m.message.createdAt));
      }
      const del = this.db.prepare("DELETE FROM certificates WHERE scope = ?");
      const ci = this.db.prepare(
        "INSERT OR REPLACE INTO certificates (scope, sha1, subject, not_after, not_before, role) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const [scope, certs] of c.certificates) {
        del.run(scope);
        for (const x of certs)
          ci.run(
            scope,
            x.sha1,
            x.subject,
            iso(x.notAfter),
            x.notBefore !== undefined ? iso(x.notBefore) : null,
            x.role ?? null,
          );
      }
      const dg = this.db.prepare("INSERT OR REPLACE INTO digests (sink, last_at) VALUES (?, ?)");
      for (const d of c.digests ?? []) dg.run(d.sink, iso(d.at));
    });
    tx();
  }

  /** Deliveries still to make, oldest message first. */
  /**
   * Deliveries still to make, oldest message first: pending ones, and claims that expired (a process that
   * died while sending).
   */
  pendingDeliveries(now: number): PendingDelivery[] {
    return this.db
      .prepare(
        "SELECT d.sink AS sink, d.attempts AS attempts, m.json AS json FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.status = 'pending' OR (d.status = 'sending' AND d.claimed_until < ?) ORDER BY m.created_at, m.rowid, d.sink",
      )
      .all(iso(now))
      .map((r) => {
        const row = r as { sink: string; attempts: number; json: string };
        return { sink: row.sink, attempts: row.attempts, message: JSON.parse(row.json) as OutgoingMessage };
      });
  }

  /**
   * Claims a delivery for `leaseMs` before sending it, so two processes on the same database (a cron
   * `--once` next to the long-running monitor) never send the same row. False when someone else holds it
   * or it was sent meanwhile.
   */
  claim(messageId: string, sink: string, now: number, leaseMs = 10 * 60_000): boolean {
    const r = this.db
      .prepare(
        "UPDATE deliveries SET status = 'sending', claimed_until = ? WHERE message_id = ? AND sink = ? AND (status = 'pending' OR (status = 'sending' AND claimed_until < ?))",
      )
      .run(iso(now + leaseMs), messageId, sink, iso(now));
    return r.changes === 1;
  }

  markSent(messageId: string, sink: string, now: number): void {
    this.db
      .prepare(
        "UPDATE deliveries SET status = 'sent', claimed_until = NULL, attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE message_id = ? AND sink = ?",
      )
      .run(iso(now), messageId, sink);
  }

  markFailed(messageId: string, sink: string, error: string, now?: number): void {
    this.db
      .prepare(
        "UPDATE deliveries SET status = 'pending', claimed_until = NULL, attempts = attempts + 1, last_error = ?, first_failed_at = COALESCE(first_failed_at, ?) WHERE message_id = ? AND sink = ?",
      )
      .run(redactSecrets(error), iso(now ?? Date.now()), messageId, sink);
  }

  /** Undelivered messages of a sink, and the last error it gave. */
  sinkBacklog(sink: string): { pending: number; lastError?: string } {
    const r = this.db
      .prepare(
        "SELECT COUNT(*) AS n, (SELECT last_error FROM deliveries WHERE sink = ? AND status != 'sent' AND last_error IS NOT NULL ORDER BY rowid DESC LIMIT 1) AS e FROM deliveries WHERE sink = ? AND status != 'sent'",
      )
      .get(sink, sink) as { n: number; e: string | null };
    return { pending: r.n, ...(r.e ? { lastError: r.e } : {}) };
  }

  /** Since when the oldest undelivered message of a sink has been failing (undefined: nothing failing). */
  sinkFailingSince(sink: string): number | undefined {
    const r = this.db
      .prepare(
        "SELECT MIN(first_failed_at) AS t FROM deliveries WHERE sink = ? AND status != 'sent' AND first_failed_at IS NOT NULL",
      )
      .get(sink) as { t: string | null };
    return r.t ? Date.parse(r.t) : undefined;
  }

  /** The last run that recorded its results (a run that broke before, e.g. on a locked database, does not count). */
  lastCompletedRun(): RunRecord | undefined {
    const r = this.db
      .prepare(
        "SELECT id, started_at, finished_at FROM runs WHERE finished_at IS NOT NULL AND findings IS NOT NULL ORDER BY id DESC LIMIT 1",
      )
      .get() as { id: number; started_at: string; finished_at: string } | undefined;
    return r
      ? { id: r.id, startedAt: Date.parse(r.started_at), finishedAt: Date.parse(r.finished_at) }
      : undefined;
  }

  // ---- snoozes ----

  addSnooze(s: Omit<Snooze, "id" | "removedAt" | "removedBy">): Snooze {
    const id = Number(
      this.db
        .prepare(
          "INSERT INTO snoozes (target, by, reason, created_at, until, severity, tier) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .run(s.target, s.by, s.reason, iso(s.createdAt), iso(s.until), s.severity ?? null, s.tier ?? null)
        .lastInsertRowid,
    );
    return { ...s, id };
  }

  /** Ends the active snoozes of a target; returns them. */
  removeSnoozes(target: string, now: number, by: string): Snooze[] {
    const active = this.activeSnoozes(now).filter((x) => x.target === target);
    const up = this.db.prepare("UPDATE snoozes SET removed_at = ?, removed_by = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const x of active) up.run(iso(now), by, x.id);
    })();
    return active.map((x) => ({ ...x, removedAt: now, removedBy: by }));
  }

  /** Snoozes in force at `now`, oldest first. */
  activeSnoozes(now: number): Snooze[] {
    return (
      this.db
        .prepare("SELECT * FROM snoozes WHERE removed_at IS NULL AND until > ? ORDER BY id")
        .all(iso(now)) as SnoozeRow[]
    ).map(snoozeOf);
  }

  /** Every snooze, newest first (ended and removed ones too). */
  snoozes(limit = 200): Snooze[] {
    return (this.db.prepare("SELECT * FROM snoozes ORDER BY id DESC LIMIT ?").all(limit) as SnoozeRow[]).map(
      snoozeOf,
    );
  }

  // ---- digests ----

  /** When a digest sink's schedule was last served (its digest sent, or its first run). */
  lastDigest(sink: string): number | undefined {
    const r = this.db.prepare("SELECT last_at FROM digests WHERE sink = ?").get(sink) as
      | { last_at: string }
      | undefined;
    return r ? Date.parse(r.last_at) : undefined;
  }

  /** Queues messages outside a run (a digest on its own schedule), atomically with the digest marks. */
  queue(
    messages: { message: OutgoingMessage; sinks: string[] }[],
    runId: number,
    digests: { sink: string; at: number }[],
  ): void {
    this.db.transaction(() => {
      const mi = this.db.prepare("INSERT INTO messages (id, run_id, created_at, json) VALUES (?, ?, ?, ?)");
      const di = this.db.prepare(
        "INSERT INTO deliveries (message_id, sink, status, created_at) VALUES (?, ?, 'pending', ?)",
      );
      for (const m of messages) {
        mi.run(m.message.id, runId, iso(m.message.createdAt), JSON.stringify(m.message));
        for (const s of m.sinks) di.run(m.message.id, s, iso(m.message.createdAt));
      }
      const dg = this.db.prepare("INSERT OR REPLACE INTO digests (sink, last_at) VALUES (?, ?)");
      for (const d of digests) dg.run(d.sink, iso(d.at));
    })();
  }

  lastRun(): RunRecord | undefined {
    const r = this.db
      .prepare("SELECT * FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1")
      .get() as
      | {
          id: number;
          started_at: string;
          finished_at: string;
          status: RunRecord["status"];
          findings: number;
          alerts: number;
          error: string | null;
        }
      | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      startedAt: Date.parse(r.started_at),
      finishedAt: Date.parse(r.finished_at),
      status: r.status,
      findings: r.findings,
      alerts: r.alerts,
      ...(r.error ? { error: r.error } : {}),
    };
  }

  runCount(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE finished_at IS NOT NULL").get() as { n: number }
    ).n;
  }

  certificates(): CertSnapshot[] {
    return this.db
      .prepare(
        "SELECT scope, sha1, subject, not_after, not_before, role FROM certificates ORDER BY scope, not_after",
      )
      .all()
      .map((r) => {
        const x = r as {
          scope: string;
          sha1: string;
          subject: string;
          not_after: string;
          not_before: string | null;
          role: CertSnapshot["role"] | null;
        };
        return {
          scope: x.scope,
          sha1: x.sha1,
          subject: x.subject,
          notAfter: Date.parse(x.not_after),
          ...(x.not_before ? { notBefore: Date.parse(x.not_before) } : {}),
          ...(x.role ? { role: x.role } : {}),
        };
      });
  }

  /** Databases made before notBefore and role were recorded get the two columns (empty until the next run). */
  private addCertificateColumns(): void {
    const cols = new Set(
      (this.db.prepare("PRAGMA table_info(certificates)").all() as { name: string }[]).map((c) => c.name),
    );
    if (!cols.has("not_before")) this.db.exec("ALTER TABLE certificates ADD COLUMN not_before TEXT");
    if (!cols.has("role")) this.db.exec("ALTER TABLE certificates ADD COLUMN role TEXT");
  }

  /** When the last run that could check every source finished (ms), if any. */
  lastSuccessAt(): number | undefined {
    const r = this.db
      .prepare(
        "SELECT finished_at FROM runs WHERE finished_at IS NOT NULL AND status IN ('ok', 'findings') ORDER BY id DESC LIMIT 1",
      )
      .get() as { finished_at: string } | undefined;
    return r ? Date.parse(r.finished_at) : undefined;
  }

  /**
   * Delivery attempts by sink since the database was made: `sent` (messages delivered) and `failed`
   * (attempts that failed; a message retried later counts once per failed attempt), and `pending` (messages
   * waiting now). Counted from the outbox, so the totals survive restarts.
   */
  deliveryCounts(): { sink: string; sent: number; failed: number; pending: number }[] {
    return (
      this.db
        .prepare(
          "SELECT sink, SUM(status = 'sent') AS sent, SUM(attempts) - SUM(status = 'sent') AS failed, SUM(status <> 'sent') AS pending FROM deliveries GROUP BY sink ORDER BY sink",
        )
        .all() as { sink: string; sent: number; failed: number; pending: number }[]
    ).map((r) => ({ sink: r.sink, sent: r.sent, failed: r.failed, pending: r.pending }));
  }

  /** Open findings counted by code and severity. */
  openFindingCounts(): { code: string; severity: Severity; count: number }[] {
    const m = new Map<string, { code: string; severity: Severity; count: number }>();
    for (const s of this.loadState()) {
      const k = `${s.code}/${s.severity}`;
      const e = m.get(k) ?? { code: s.code, severity: s.severity, count: 0 };
      e.count++;
      m.set(k, e);
    }
    return [...m.values()].sort((a, b) =>
      a.code < b.code ? -1 : a.code > b.code ? 1 : a.severity < b.severity ? -1 : 1,
    );
  }

  // ---- read-only views for the dashboard (smimetrust serve) ----

  /** The most recent runs, newest first (finished or not). */
  runs(limit = 200): RunRecord[] {
    return (
      this.db.prepare("SELECT * FROM runs ORDER BY id DESC LIMIT ?").all(limit) as {
        id: number;
        started_at: string;
        finished_at: string | null;
        status: RunRecord["status"] | null;
        findings: number | null;
        alerts: number | null;
        error: string | null;
      }[]
    ).map((r) => ({
      id: r.id,
      startedAt: Date.parse(r.started_at),
      ...(r.finished_at ? { finishedAt: Date.parse(r.finished_at) } : {}),
      ...(r.status ? { status: r.status } : {}),
      ...(r.findings !== null ? { findings: r.findings } : {}),
      ...(r.alerts !== null ? { alerts: r.alerts } : {}),
      ...(r.error ? { error: r.error } : {}),
    }));
  }

  /** The findings a run recorded. */
  runFindings(runId: number): RunFinding[] {
    return (
      this.db
        .prepare(
          "SELECT key, scope, code, severity, cert, message, hint FROM findings WHERE run_id = ? ORDER BY rowid",
        )
        .all(runId) as {
        key: string;
        scope: string;
        code: string;
        severity: Severity;
        cert: string | null;
        message: string;
        hint: string | null;
      }[]
    ).map((r) => ({
      key: r.key,
      scope: r.scope,
      code: r.code,
      severity: r.severity,
      ...(r.cert ? { cert: r.cert } : {}),
      message: r.message,
      ...(r.hint ? { hint: r.hint } : {}),
    }));
  }

  /** The most recent alerts with their run's time, newest first. */
  alertHistory(limit = 200): AlertRecord[] {
    return (
      this.db
        .prepare(
          "SELECT a.run_id AS run_id, r.started_at AS at, a.kind AS kind, a.code AS code, a.severity AS severity, a.cert AS cert FROM alerts a JOIN runs r ON r.id = a.run_id ORDER BY a.id DESC LIMIT ?",
        )
        .all(limit) as {
        run_id: number;
        at: string;
        kind: string;
        code: string;
        severity: Severity;
        cert: string | null;
      }[]
    ).map((r) => ({
      runId: r.run_id,
      at: Date.parse(r.at),
      kind: r.kind,
      code: r.code,
      severity: r.severity,
      ...(r.cert ? { cert: r.cert } : {}),
    }));
  }

  /** The most recent deliveries (one row per message and sink), newest first. */
  deliveryHistory(limit = 200): DeliveryRecord[] {
    return (
      this.db
        .prepare(
          "SELECT message_id, sink, status, attempts, last_error, created_at, sent_at FROM deliveries ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .all(limit) as {
        message_id: string;
        sink: string;
        status: DeliveryRecord["status"];
        attempts: number;
        last_error: string | null;
        created_at: string;
        sent_at: string | null;
      }[]
    ).map((r) => ({
      messageId: r.message_id,
      sink: r.sink,
      status: r.status,
      attempts: r.attempts,
      createdAt: Date.parse(r.created_at),
      ...(r.sent_at ? { sentAt: Date.parse(r.sent_at) } : {}),
      ...(r.last_error ? { lastError: r.last_error } : {}),
    }));
  }
}
