/**
 * `smimetrust summary a.jsonl b.jsonl ...`: merges results files of `verify --jsonl` (the shards of a run, a
 * run resumed in several goes) into one summary. A message found more than once (same key) counts once: its
 * last record wins (a resumed run appends the newer result).
 */
import type { Command } from "commander";
import { readResults } from "../../io/results-file.js";
import {
  countsLine,
  type ResultFacts,
  resultFacts,
  SummaryBuilder,
  summaryDetails,
} from "../../smime/summary.js";
import type { RegisterCommand } from "../context.js";
import { writeData } from "../output.js";

export const registerSummary: RegisterCommand = (program: Command, ctx, done) => {
  program
    .command("summary")
    .description("merge verify --jsonl results files (shards, resumed runs) into one summary")
    .argument("<results...>", "results files written by verify --jsonl")
    .option("--json", "print the summary as JSON (the shape of verify --summary-json)")
    .action((files: string[], opts: { json?: boolean }) => {
      const byKey = new Map<string, ResultFacts>();
      for (const f of files)
        readResults(f, (r) => {
          byKey.delete(r.name); // the last record of a key wins, in its own place
          byKey.set(r.name, resultFacts(r));
        });
      const summary = new SummaryBuilder();
      for (const facts of byKey.values()) summary.add(facts);
      const s = summary.toJson();
      if (opts.json) writeData(ctx.out, `${JSON.stringify(s, null, 2)}\n`);
      else ctx.out.stdout(`${summaryDetails(s)}${countsLine(s)}\n`);
      done(s.verdicts.valid === s.messages ? 0 : 1);
    });
};
