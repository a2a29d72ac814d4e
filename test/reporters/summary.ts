/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") after vitest's own summary.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  async onTestRunEnd(modules: ReadonlyArray<TestModule>): Promise<void> {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      // A file that fails outside its tests (an import or a hook throws) counts as one failure: it never ran.
      if (m.state() === "failed" && [...m.children.allTests()].every((t) => t.result().state !== "failed"))
        failed++;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
    }
    // After the default reporter's summary, which is written in the same tick.
    await new Promise((r) => setTimeout(r, 0));
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
