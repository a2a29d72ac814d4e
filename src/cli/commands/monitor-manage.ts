/**
 * `smimetrust monitor snooze | unsnooze | status`: what people do between runs. Snoozes live in the monitor's
 * database (who, why, until when); status reads the database and the config, and never runs a check.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { isAbsolute, relative } from "node:path";
import process from "node:process";
import { Cron } from "croner";
import { UsageError } from "../../errors.js";
import { oneLine } from "../../lib/text.js";
import { loadMonitorConfig, type MonitorConfig, normalizeSha1 } from "../../monitor/config.js";
import { type StateEntry, tierUrgency } from "../../monitor/evaluate.js";
import { ownerText, utc } from "../../monitor/messages.js";
import { Monitor, muteFor } from "../../monitor/monitor.js";
import type { MonitorStore } from "../../monitor/store.js";
import { isKnownProblem, type Severity, severityRank } from "../../problems.js";
import type { CliContext, ExitCode } from "../context.js";
import { writeData } from "../output.js";
import { openStore } from "./monitor-run.js";

/** A snooze's target: a problem code, or a SHA-1 thumbprint (normalized). */
export function parseTarget(v: string): string {
  if (isKnownProblem(v)) return v;
  const sha1 = normalizeSha1(v);
  if (sha1) return sha1;
  throw new UsageError(
    `'${v}' is neither a problem code (TRUST_EXPIRING, CERT_EXPIRING, WEAK_ALGORITHM...) nor a SHA-1 thumbprint (40 hex digits)`,
  );
}

/** `--for`: 14d, 36h, 2w (at most 365 days). */
export function parseDuration(v: string): number {
  const m = /^(\d+)([hdw])$/.exec(v.trim());
  const ms = m
    ? Number(m[1]) * { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2] as "h" | "d" | "w"]
    : 0;
  if (!m || ms <= 0 || ms > 365 * 86_400_000)
    throw new UsageError(`--for: '${v}' is not a duration such as 14d, 36h or 2w (at most 365 days)`);
  return ms;
}

function words(ms: number): string {
  const d = ms / 86_400_000;
  if (Number.isInteger(d)) return `${d} day${d === 1 ? "" : "s"}`;
  const h = Math.round(ms / 3_600_000);
  return `${h} hour${h === 1 ? "" : "s"}`;
}

function open(configFile: string): { config: MonitorConfig; store: MonitorStore } {
  const config = loadMonitorConfig(configFile, existsSync);
  const store = openStore(config.database, {
    busyTimeoutMs: config.databaseBusyTimeoutMs,
    command: "smimetrust monitor (snooze/status)",
  });
  return { config, store };
}

const matches = (target: string) => (s: StateEntry) => s.code === target || s.cert === target;

function describe(s: StateEntry): string {
  const cn = s.subject ? /(?:^|,\s*)CN=((?:\\,|[^,])+)/.exec(s.subject)?.[1] : undefined;
  return `${s.severity} ${s.code}${cn ? ` '${cn}'` : ""} [${s.scope}]${s.cert ? ` ${s.cert}` : ""}, owner ${ownerText(s.owner)}`;
}

export interface SnoozeOpts {
  for: string;
  reason?: string;
  by?: string;
}

export function runSnooze(
  target: string,
  opts: SnoozeOpts,
  configFile: string,
  ctx: CliContext,
  done: (c: ExitCode) => void,
): void {
  const t = parseTarget(target);
  const duration = parseDuration(opts.for);
  const reason = opts.reason?.trim();
  if (!reason)
    throw new UsageError("--reason: say why (it is kept with the snooze and shown by monitor status)");
  let by = opts.by?.trim();
  if (!by) {
    try {
      by = ctx.env.SMIMETRUST_USER || ctx.env.USER || ctx.env.USERNAME || userInfo().username;
    } catch {
      by = "unknown";
    }
  }
  const { store } = open(configFile);
  try {
    const now = ctx.now();
    const hit = store.loadState().filter(matches(t));
    let severity: Severity | undefined;
    let tier: string | undefined;
    for (const s of hit) {
      if (!severity || severityRank(s.severity) > severityRank(severity)) severity = s.severity;
      if (s.tier !== undefined && (tier === undefined || tierUrgency(s.tier) < tierUrgency(tier)))
        tier = s.tier;
    }
    const z = store.addSnooze({
      target: t,
      by,
      reason,
      createdAt: now,
      until: now + duration,
      ...(severity ? { severity } : {}),
      ...(tier ? { tier } : {}),
    });
    const L = [
      `snoozed ${t} until ${utc(z.until)} (${words(duration)}) by ${oneLine(by)}: ${oneLine(reason)} (snooze ${z.id})`,
    ];
    if (hit.length) {
      L.push(
        `it silences ${hit.length} open finding${hit.length === 1 ? "" : "s"} (now at most ${severity}${tier ? `, ${tier === "expired" ? "expired" : `${Number.parseInt(tier, 10)} days`}` : ""}); a higher severity or expiry itself still alerts:`,
      );
      for (const s of hit) L.push(`  ${oneLine(describe(s))}`);
    } else
      L.push(
        `no open finding matches ${t} now: it silences such findings as they come, until then (expiry itself still alerts)`,
      );
    writeData(ctx.out, `${L.join("\n")}\n`);
    done(0);
  } finally {
    store.close();
  }
}

export function runUnsnooze(
  target: string,
  opts: { by?: string },
  configFile: string,
  ctx: CliContext,
  done: (c: ExitCode) => void,
): void {
  const t = parseTarget(target);
  const { store } = open(configFile);
  try {
    const now = ctx.now();
    const by = opts.by?.trim() || ctx.env.SMIMETRUST_USER || ctx.env.USER || ctx.env.USERNAME || "unknown";
    const ended = store.removeSnoozes(t, now, by);
    if (ended.length === 0) throw new UsageError(`no active snooze for ${t} (monitor status lists them)`);
    const L = ended.map(
      (z) =>
        `unsnoozed ${t}: snooze ${z.id} (by ${oneLine(z.by)}, until ${utc(z.until)}: ${oneLine(z.reason)}) ended; its findings alert again from the next run`,
    );
    writeData(ctx.out, `${L.join("\n")}\n`);
    done(0);
  } finally {
    store.close();
  }
}

/**
 * `monitor status`: the last run, staleness, open findings by owner, snoozes, accepts and failing sinks.
 * Exit 1 when the monitor is stale or a sink has been failing, else 0.
 */
export function runStatus(
  configFile: string,
  ctx: CliContext,
  done: (c: ExitCode) => void,
  opts: { json?: boolean } = {},
): void {
  const { config, store } = open(configFile);
  try {
    const now = ctx.now();
    const monitor = new Monitor(config, { store, now: ctx.now, log: () => undefined, env: ctx.env });
    const rel = (f: string) => {
      const r = relative(process.cwd(), f);
      return r && !r.startsWith("..") && !isAbsolute(r) ? r : f;
    };
    const L: string[] = [`monitor ${rel(config.file)} (database ${rel(config.database)})`];
    const last = store.lastCompletedRun();
    const job = new Cron(config.schedule, { paused: true, timezone: config.timezone ?? "Etc/UTC" });
    const next = job.nextRun(new Date(now));
    job.stop();
    const iso = (ms: number) => new Date(ms).toISOString();
    // The same as JSON for scripts (--json).
    const doc: Record<string, unknown> = {
      config: config.file,
      database: config.database,
      lastRun: last?.finishedAt ? { id: last.id, finishedAt: iso(last.finishedAt) } : null,
      nextRun: next ? next.toISOString() : null,
    };
    L.push(
      `last run: ${last?.finishedAt ? `${utc(last.finishedAt)} (run ${last.id})` : "never"}; schedule '${config.schedule}'${next ? `, next ${utc(next.getTime())}` : ""}`,
    );
    let bad = false;
    const stale = monitor.staleness(now);
    if (stale) {
      bad = true;
      L.push(
        `STALE: no run since ${utc(stale.since)} (${stale.text}; ${stale.missed >= 1000 ? "1000 or more" : stale.missed} scheduled run${stale.missed === 1 ? "" : "s"} missed)`,
      );
    }
    doc.stale = stale ? { since: iso(stale.since), for: stale.text, missedRuns: stale.missed } : null;
    const state = store.loadState();
    const n = { error: 0, warning: 0, info: 0 };
    for (const s of state) n[s.severity]++;
    L.push(`open findings: ${state.length} (${n.error} error, ${n.warning} warning, ${n.info} info)`);
    const byOwner: Record<string, unknown>[] = [];
    doc.openFindings = { total: state.length, ...n, byOwner };
    const snoozes = store.activeSnoozes(now);
    const mute = muteFor(config, snoozes, now);
    const owners = [...new Set(state.map((s) => s.owner))].sort((a, b) =>
      a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1,
    );
    for (const o of owners) {
      const mine = state.filter((s) => s.owner === o);
      const k = { error: 0, warning: 0, info: 0 };
      for (const s of mine) k[s.severity]++;
      const quiet = mine.filter((s) => s.superseded || mute(s)).length;
      byOwner.push({ owner: o ?? null, total: mine.length, ...k, silenced: quiet });
      L.push(
        `  ${oneLine(ownerText(o))}: ${mine.length} (${k.error} error, ${k.warning} warning, ${k.info} info)${quiet ? `, ${quiet} silenced` : ""}`,
      );
    }
    L.push(`snoozes: ${snoozes.length ? `${snoozes.length} active` : "none active"}`);
    const zs: Record<string, unknown>[] = [];
    doc.snoozes = zs;
    for (const z of snoozes) {
      const hit = state.filter(matches(z.target)).length;
      zs.push({
        id: z.id,
        target: z.target,
        by: z.by,
        reason: z.reason,
        since: iso(z.createdAt),
        until: iso(z.until),
        openFindings: hit,
      });
      L.push(
        `  snooze ${z.id}: ${z.target} until ${utc(z.until)} by ${oneLine(z.by)} (since ${utc(z.createdAt)}): ${oneLine(z.reason)}; ${hit} open finding${hit === 1 ? "" : "s"}`,
      );
    }
    const acc: Record<string, unknown>[] = [];
    doc.accepts = acc;
    if (config.accept?.length) {
      L.push(`accepts (${rel(config.file)}):`);
      for (const a of config.accept ?? []) {
        const what = [a.code, a.sha1, a.source && `in ${a.source}`].filter(Boolean).join(" ");
        const date = new Date(a.expires).toISOString().slice(0, 10);
        const hit = a.expires <= now ? 0 : state.filter((s) => mute(s)?.id === a.id).length;
        acc.push({
          id: a.id,
          code: a.code ?? null,
          sha1: a.sha1 ?? null,
          source: a.source ?? null,
          reason: a.reason,
          expires: date,
          expired: a.expires <= now,
          openFindings: hit,
        });
        if (a.expires <= now)
          L.push(`  ${a.id}: ${what}: EXPIRED on ${date}, no longer applies: ${oneLine(a.reason)}`);
        else {
          L.push(
            `  ${a.id}: ${what} until ${date}: ${oneLine(a.reason)}; ${hit} open finding${hit === 1 ? "" : "s"}`,
          );
        }
      }
    }
    L.push("sinks:");
    const sk: Record<string, unknown>[] = [];
    doc.sinks = sk;
    for (const s of config.sinks) {
      const since = store.sinkFailingSince(s.name);
      const b = store.sinkBacklog(s.name);
      const mode = s.mode === "digest" ? ` (digest '${s.schedule}')` : "";
      sk.push({
        name: s.name,
        mode: s.mode ?? "change",
        ...(s.schedule ? { schedule: s.schedule } : {}),
        failingSince: since !== undefined ? iso(since) : null,
        pending: b.pending,
        lastError: b.lastError ?? null,
      });
      if (since !== undefined) {
        if (now - since >= 86_400_000) bad = true;
        L.push(
          `  ${s.name}${mode}: FAILING since ${utc(since)}, ${b.pending} message${b.pending === 1 ? "" : "s"} kept${b.lastError ? `: ${oneLine(b.lastError)}` : ""}`,
        );
      } else L.push(`  ${s.name}${mode}: ok${b.pending ? `, ${b.pending} pending` : ""}`);
    }
    doc.exitCode = bad ? 1 : 0;
    writeData(ctx.out, opts.json ? `${JSON.stringify(doc, null, 2)}\n` : `${L.join("\n")}\n`);
    done(bad ? 1 : 0);
  } finally {
    store.close();
  }
}

/**
 * `monitor digest [--sink NAME]...`: a digest of the last run's open findings now, to the named sinks
 * (default: every sink with "mode": "digest"); their schedules are left as they are. Exit 2 when a sink
 * could not be reached (its message is kept for the next run).
 */
export async function runDigest(
  opts: { sink?: string[] },
  configFile: string,
  ctx: CliContext,
  done: (c: ExitCode) => void,
): Promise<void> {
  const { config, store } = open(configFile);
  try {
    const known = config.sinks.map((s) => s.name);
    const names = opts.sink?.length
      ? opts.sink
      : config.sinks.filter((s) => s.mode === "digest").map((s) => s.name);
    for (const n of names)
      if (!known.includes(n))
        throw new UsageError(`--sink: no sink is named '${n}' (sinks: ${known.join(", ")})`, {
          file: config.file,
        });
    if (names.length === 0)
      throw new UsageError('no sink has "mode": "digest": name one with --sink', { file: config.file });
    const log = (line: string) => ctx.out.stderr(`${oneLine(line)}\n`);
    const monitor = new Monitor(config, { store, now: ctx.now, log, env: ctx.env });
    let r: Awaited<ReturnType<Monitor["sendDigestNow"]>>;
    try {
      r = await monitor.sendDigestNow(names);
    } catch (e) {
      const err = store.busyError(e);
      if (
        err instanceof Error &&
        !(err instanceof UsageError) &&
        err.message.startsWith("the monitor has not run")
      )
        throw new UsageError(err.message, { file: config.file });
      throw err;
    }
    const L = r.messages.map((m, i) => {
      const sink = names[i];
      const failed = r.delivery.failed.some((f) => f.message === m.id);
      return `digest to ${sink}: ${m.summary?.length ?? 0} open finding${m.summary?.length === 1 ? "" : "s"}, ${failed ? "not delivered (kept for the next run)" : "sent"} (message ${m.id})`;
    });
    writeData(ctx.out, `${L.join("\n")}\n`);
    done(r.delivery.failed.length ? 2 : 0);
  } finally {
    store.close();
  }
}
