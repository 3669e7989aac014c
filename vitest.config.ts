import { defineConfig } from 'vitest/config';

/**
 * Two projects: unit (everything that needs no broker) and kafka (suites against a real Apache Kafka
 * broker, started once for all of them by test/kafka/global-setup.ts via scripts/kafka.sh). Kafka
 * files run one at a time: some stop and restart the shared broker.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-line-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        // --expose-gc: memory-bound tests measure what is retained after a collection, not GC timing.
        // The ledger's PostgreSQL suites run against the real database; test/ledger/postgres-setup.ts finds it.
        // The receiver suites check requests against the vendors' contracts; test/receivers/contracts-setup.ts finds them.
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/kafka/**'], execArgv: ['--expose-gc'], globalSetup: ['test/ledger/postgres-setup.ts', 'test/receivers/contracts-setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: ['test/kafka/**/*.test.ts'],
          // The feedback topic's PostgreSQL case needs the ledger's test database too.
          globalSetup: ['test/kafka/global-setup.ts', 'test/ledger/postgres-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
