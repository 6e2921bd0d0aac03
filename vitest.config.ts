import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        // Co-simulation: one Verilator build shared by all files, so files run one at a time.
        extends: true,
        test: {
          name: 'cosim',
          include: ['test/cosim/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
          globalSetup: ['test/cosim/global-setup.ts'],
        },
      },
    ],
  },
});
