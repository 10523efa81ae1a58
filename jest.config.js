/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The packaging suite needs `npm run package` first; .ci/run runs it with jest.packaging.config.js.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/packaging/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/quiet-output.ts'],
  // The React bindings import the client by its package name; in this repository, its source.
  moduleNameMapper: { '^cdk-realtime-notifications-client$': '<rootDir>/client/src/index.ts' },
  testTimeout: 120000,
  maxWorkers: 2,
};
