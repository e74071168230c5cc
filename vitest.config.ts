import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // A real Kafka broker and the built CLI; see test/setup.
          globalSetup: ['test/setup/built.ts', 'test/setup/kafka.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/built.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // A page on a loaded 2-core machine may take seconds to show what it was sent: expect.poll's
          // 1 s default made waits (not assertions of speed) fail under load (outage.test: Send enabled).
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
