/**
 * The desired state, `smime.config.json` (DESIGN.md):
 * `{"trust": [paths...], "settings": {"<Set-SmimeConfig parameter>": value, ...}}`.
 * Trust paths are relative to the config file. `trust` may be left out to manage the settings only
 * (the trust list is then left as it is). Parsing is pure: text in, value out.
 */
import { dirname, isAbsolute, join } from "node:path";
import { SmimetrustError } from "../errors.js";
import {
  isSettingName,
  NOT_SETTINGS,
  SETTING_NAMES,
  type SettingName,
  type SettingValue,
  settingValueFault,
} from "./settings.js";

/** A desired-state file that cannot be used; names the file and the key. */
export class ConfigError extends SmimetrustError {
  override readonly code = "ERR_CONFIG";
  /** The JSON path of the fault ("settings.OWASigningAlgorithms"), when there is one. */
  readonly key?: string;
  constructor(message: string, opts: { file?: string; key?: string } = {}) {
    super(opts.key ? `${opts.key}: ${message}` : message, { file: opts.file });
    this.key = opts.key;
  }
}

/** One setting Exchange would not take as written. */
export interface SettingIssue {
  /** The setting's name as written in the file. */
  key: string;
  message: string;
}

export interface DesiredState {
  /** The config file, as named by the user. */
  file: string;
  /** The trust inputs as written. */
  trust?: string[];
  /** The trust inputs resolved against the config file's folder. */
  trustPaths?: string[];
  /** Valid settings, in the file's order. */
  settings: Partial<Record<SettingName, SettingValue>>;
  /** Settings that are unknown or have a bad value (each names its key). */
  issues: SettingIssue[];
}

const TOP_LEVEL = new Set(["$schema", "trust", "settings"]);

function closest(key: string, names: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === k);
  if (exact) return exact;
  const dist = (a: string, b: string) => {
    const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
    for (let j = 1; j <= b.length; j++) dp[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        dp[i][j] = Math.min(
          dp[i - 1][j] + 1,
          dp[i][j - 1] + 1,
          dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return dp[a.length][b.length];
  };
  let best: [string, number] | undefined;
  for (const n of names) {
    const d = dist(k, n.toLowerCase());
    if (!best || d < best[1]) best = [n, d];
  }
  return best && best[1] <= 3 ? best[0] : undefined;
}

/** The message for a setting name that is not a Set-SmimeConfig parameter. */
export function unknownSettingMessage(key: string): string {
  if (NOT_SETTINGS[key]) return NOT_SETTINGS[key];
  const near = closest(key, SETTING_NAMES);
  return `not a Set-SmimeConfig parameter${near ? ` (did you mean ${near}?)` : ""}`;
}

/** Checks a settings object: valid values kept, every unknown key and bad value reported by name. */
export function checkSettings(raw: Record<string, unknown>): {
  settings: Partial<Record<SettingName, SettingValue>>;
  issues: SettingIssue[];
} {
  const settings: Partial<Record<SettingName, SettingValue>> = {};
  const issues: SettingIssue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!isSettingName(key)) {
      issues.push({ key, message: unknownSettingMessage(key) });
      continue;
    }
    const fault = settingValueFault(key, value);
    if (fault) issues.push({ key, message: fault });
    else settings[key] = value as SettingValue;
  }
  return { settings, issues };
}

/**
 * Parses a desired-state file. Structural faults (not JSON, wrong shape, unknown top-level key, trust not
 * a list of paths) throw ConfigError; setting faults are returned as `issues` so that `plan` can report
 * them all while `script` refuses (see `assertNoIssues`).
 */
export function parseConfig(text: string, file: string): DesiredState {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new ConfigError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new ConfigError('must be a JSON object {"trust": [...], "settings": {...}}', { file });
  const obj = doc as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!TOP_LEVEL.has(k)) {
      const hint = isSettingName(k)
        ? ` (put Set-SmimeConfig parameters under "settings")`
        : ' (expected "trust" and "settings")';
      throw new ConfigError(`unknown key${hint}`, { file, key: k });
    }
  }
  if (obj.$schema !== undefined && typeof obj.$schema !== "string")
    throw new ConfigError("must be a string (the schema's URL or path)", { file, key: "$schema" });
  const out: DesiredState = { file, settings: {}, issues: [] };
  if (obj.trust !== undefined) {
    if (!Array.isArray(obj.trust))
      throw new ConfigError("must be a list of paths to CA certificates (files or folders)", {
        file,
        key: "trust",
      });
    if (obj.trust.length === 0)
      throw new ConfigError(
        "is empty; list the CA certificates to trust, or leave trust out to keep Exchange's list as it is",
        { file, key: "trust" },
      );
    obj.trust.forEach((p, i) => {
      if (typeof p !== "string" || p.length === 0)
        throw new ConfigError("must be a non-empty path", { file, key: `trust[${i}]` });
    });
    out.trust = obj.trust as string[];
    const base = dirname(file);
    out.trustPaths = out.trust.map((p) => (p === "-" || isAbsolute(p) ? p : join(base, p)));
  }
  if (obj.settings !== undefined) {
    if (typeof obj.settings !== "object" || obj.settings === null || Array.isArray(obj.settings))
      throw new ConfigError(
        'must be an object of Set-SmimeConfig parameters, e.g. {"OWASigningAlgorithms": "800C"}',
        { file, key: "settings" },
      );
    const r = checkSettings(obj.settings as Record<string, unknown>);
    out.settings = r.settings;
    out.issues = r.issues.map((i) => ({ key: `settings.${i.key}`, message: i.message }));
  }
  if (out.trust === undefined && Object.keys(obj.settings ?? {}).length === 0) {
    throw new ConfigError('sets nothing: give "trust" (CA certificates) and/or "settings"', { file });
  }
  return out;
}

/** Throws the first setting issue as a ConfigError (for commands that must not go on). */
export function assertNoIssues(state: DesiredState): void {
  const first = state.issues[0];
  if (!first) return;
  const more =
    state.issues.length > 1
      ? ` (and ${state.issues.length - 1} more: ${state.issues
          .slice(1)
          .map((i) => i.key)
          .join(", ")})`
      : "";
  throw new ConfigError(`${first.message}${more}`, { file: state.file, key: first.key });
}
