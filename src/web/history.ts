/**
 * The monitor's memory as the dashboard shows it: runs, alerts and deliveries over time, what changed between
 * two runs (findings that appeared, went away, or stayed), and whether the data is stale.
 */
import { Cron } from "croner";
import type { MonitorStore, RunFinding, RunRecord } from "../monitor/store.js";

export interface RunDiff {
  from: RunRecord;
  to: RunRecord;
  appeared: RunFinding[];
  resolved: RunFinding[];
  unchanged: RunFinding[];
}

export function diffRuns(store: MonitorStore, from: RunRecord, to: RunRecord): RunDiff {
  const a = store.runFindings(from.id);
  const b = store.runFindings(to.id);
  const ka = new Set(a.map((f) => f.key));
  const kb = new Set(b.map((f) => f.key));
  return {
    from,
    to,
    appeared: b.filter((f) => !ka.has(f.key)),
    resolved: a.filter((f) => !kb.has(f.key)),
    unchanged: b.filter((f) => ka.has(f.key)),
  };
}

/** The schedule's period in ms (the gap between its next two runs after `at`), or undefined if it has none. */
export function schedulePeriod(schedule: string | undefined, at: number): number | undefined {
  if (!schedule) return undefined;
  try {
    const c = new Cron(schedule, { paused: true, timezone: "UTC" });
    const first = c.nextRun(new Date(at));
    const second = first ? c.nextRun(first) : null;
    c.stop();
    return first && second ? second.getTime() - first.getTime() : undefined;
  } catch {
    return undefined;
  }
}

/** Stale: the monitor has a schedule and no run finished within two of its periods. */
export function staleness(
  last: RunRecord | undefined,
  schedule: string | undefined,
  now: number,
): { stale: boolean; period?: number } {
  const period = schedulePeriod(schedule, now);
  if (!period) return { stale: false };
  const t = last?.finishedAt ?? last?.startedAt;
  return { stale: t === undefined || now - t > 2 * period, period };
}
