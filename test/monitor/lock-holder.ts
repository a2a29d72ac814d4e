/**
 * A second process that holds the monitor database's write lock until it is killed, for the lock tests:
 * `smimetrust` mode opens it as the monitor does (recording itself as a holder); `plain` mode is another
 * program (better-sqlite3 directly, as a sqlite3 shell would), which records nothing.
 */
import Database from "better-sqlite3";
import { MonitorStore } from "../../src/monitor/store.js";

const [file, mode] = process.argv.slice(2);
let held: { close(): unknown };
if (mode === "smimetrust") {
  const store = new MonitorStore(file, { command: "smimetrust monitor" });
  store.db.exec("BEGIN IMMEDIATE");
  store.db.prepare("INSERT INTO runs (started_at) VALUES (?)").run(new Date().toISOString());
  held = store;
} else {
  const db = new Database(file);
  db.exec("BEGIN IMMEDIATE");
  db.prepare("INSERT INTO runs (started_at) VALUES (?)").run(new Date().toISOString());
  held = db;
}
process.stdout.write("locked\n");
// The timer keeps the connection reachable: a connection nothing refers to may be collected (Node 24 did),
// which closes it and lets the lock go.
setInterval(() => void held, 60_000);
