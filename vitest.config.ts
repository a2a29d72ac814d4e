import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One fork per core: vitest's default (cores - 1) runs the files one at a time on a 2-core machine, and most
    // of them wait on child processes (openssl, pwsh, chromium, the CLI), not on the CPU.
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: ["default", "./test/reporters/summary.ts"],
  },
});
