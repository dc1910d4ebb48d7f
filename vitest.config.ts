import { defineConfig } from 'vitest/config';

// Test tiers live in folders: test/fast (model, emitter, lint), test/medium (Verilator vs model),
// test/slow (synthesis, end-to-end workloads). `npm test` runs all of them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
