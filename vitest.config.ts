import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/abuse/**'],
          // Two cores on CI: keep e2e suites from starving each other.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The abuse tests measure a bystander's chat while an attack runs (test/abuse/probe.ts): they run
        // after the rest, one file at a time, so that what they measure is the attack, not another test
        // file's CPU on the same two cores.
        extends: true,
        test: {
          name: 'abuse',
          include: ['test/abuse/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
