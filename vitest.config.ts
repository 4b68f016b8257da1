import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Interop and fault tests open real sockets and spawn real processes: keep the 2-core box calm.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
