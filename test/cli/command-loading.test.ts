/**
 * The CLI loads the module of the command it runs, not all ten: the table must name each command as its module
 * registers it, and a command line that names none (help, a mistyped name) still gets every command.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMAND_TABLE, commandsFor } from "../../src/cli/commands/index.js";
import { cli } from "../helpers/cli.js";

const ctx = { out: { stdout() {}, stderr() {}, isTTY: false, color: false }, now: () => 0, env: {} };
const registered = (registers: Awaited<ReturnType<typeof commandsFor>>): string[] => {
  const program = new Command();
  for (const register of registers) register(program, ctx, () => {});
  return program.commands.map((c) => c.name());
};

describe("commands are loaded on demand", () => {
  it("each entry of the table registers exactly the command it is named for", async () => {
    for (const entry of COMMAND_TABLE)
      expect(registered([await entry.load()]), entry.name).toEqual([entry.name]);
    expect(new Set(COMMAND_TABLE.map((c) => c.name)).size).toBe(COMMAND_TABLE.length);
  });

  it("a command line that names a command gets that command alone, wherever its options are", async () => {
    expect(registered(await commandsFor(["verify", "--trust", "root.pem", "msg.eml"]))).toEqual(["verify"]);
    expect(registered(await commandsFor(["--no-color", "exchange", "plan", "a.sst"]))).toEqual(["exchange"]);
    expect(registered(await commandsFor(["monitor", "run", "--", "verify"]))).toEqual(["monitor"]);
  });

  it("help, the version, 'help verify' and a mistyped name get every command, in --help order", async () => {
    const all = COMMAND_TABLE.map((c) => c.name);
    for (const argv of [[], ["--help"], ["-V"], ["help", "verify"], ["verfy", "x.eml"], ["--", "verify"]])
      expect(registered(await commandsFor(argv)), argv.join(" ")).toEqual(all);
  });

  it("the CLI still lists every command and suggests the one meant", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const c of COMMAND_TABLE) expect(help.stdout).toMatch(new RegExp(`^  ${c.name}\\b`, "m"));
    const typo = await cli(["verfy", "msg.eml"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'verfy'/);
    expect(typo.stderr).toMatch(/Did you mean verify\?/);
    const sub = await cli(["verify", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: smimetrust verify /m);
  });
});
