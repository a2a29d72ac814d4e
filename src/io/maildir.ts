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
  return name.slice(0, uniqueEnd(name));
}

/** Where the unique part of a Maildir file name ends. */
function uniqueEnd(name: string): number {
  const i = name.indexOf(":");
  return i < 0 ? name.length : i;
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

/** The folders messages are read from, in the order of their paths (cur/ before new/). */
const SUBS = ["cur", "new"] as const;

/**
 * The messages of a Maildir, sorted by unique name (stable as messages move from new/ to cur/). The folder is
 * listed at once (a sub-folder that cannot be listed holds none); each message's paths are made as it is
 * reached, since a Maildir folder may hold a million messages (an object of two full paths each took 548 bytes).
 */
export function maildirMessages(dir: string): Iterable<MaildirMessage> {
  const names: string[] = [];
  const subs: number[] = [];
  for (const [k, sub] of SUBS.entries())
    for (const name of files(join(dir, sub))) {
      names.push(name);
      subs.push(k);
    }
  const order = Uint32Array.from(names.keys());
  // By unique name, then by path: the folder (SUBS is in path order), then the name.
  order.sort(
    (a, b) => compareUnique(names[a], names[b]) || subs[a] - subs[b] || (names[a] < names[b] ? -1 : 1),
  );
  return messagesInOrder(dir, names, subs, order);
}

// At module level, as files.ts's entriesInOrder: one shape for the generator objects of every Maildir.
function* messagesInOrder(
  dir: string,
  names: string[],
  subs: number[],
  order: Uint32Array,
): Generator<MaildirMessage> {
  for (const i of order)
    yield { path: join(dir, SUBS[subs[i]], names[i]), key: join(dir, maildirUnique(names[i])) };
}

/** Compares the unique parts of two file names (before ":") as strings compare, without slicing them. */
function compareUnique(a: string, b: string): number {
  const ea = uniqueEnd(a);
  const eb = uniqueEnd(b);
  const n = Math.min(ea, eb);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return ea - eb;
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
