/**
 * Maildir folders (recognised by layout: `cur/` and `new/` side by side; `tmp/` holds deliveries in progress
 * and is never read). Maildir++ sub-folders (`.Sent`, `.Archive.2024`) are read too, after the folder's own
 * messages. A message's file name changes when its flags do (`unique:2,S`) and it moves from new/ to cur/
 * when seen: its key is the folder plus the unique part of the name, so results stay attached to it.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** True when `dir` is a Maildir (it holds both cur/ and new/). */
export function isMaildir(dir: string): boolean {
  return isDir(join(dir, "cur")) && isDir(join(dir, "new"));
}

/** The unique part of a Maildir file name (before the ":2,FLAGS" info). */
export function maildirUnique(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(0, i);
}

export interface MaildirMessage {
  /** The file. */
  path: string;
  /** The stable key: the Maildir folder and the message's unique name. */
  key: string;
}

function files(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith(".") && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The messages of a Maildir, sorted by unique name (stable as messages move from new/ to cur/). */
export function maildirMessages(dir: string): MaildirMessage[] {
  const all: { unique: string; path: string }[] = [];
  for (const sub of ["new", "cur"])
    for (const name of files(join(dir, sub)))
      all.push({ unique: maildirUnique(name), path: join(dir, sub, name) });
  all.sort((a, b) => (a.unique < b.unique ? -1 : a.unique > b.unique ? 1 : a.path < b.path ? -1 : 1));
  return all.map((m) => ({ path: m.path, key: join(dir, m.unique) }));
}

/** The Maildir++ sub-folders of a Maildir (".Name" folders that are Maildirs themselves), sorted. */
export function maildirSubfolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(".") && n !== "." && n !== "..");
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => join(dir, n))
    .filter(isMaildir);
}
