/** Real services, real Temporal: tests run one file at a time (see README). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The production topology's tests start a cluster of their own: .ci/run runs them after npm test (npm run test:cluster).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/tools/lib/test-env.ts'],
  testTimeout: 120_000,
};
