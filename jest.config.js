/**
 * Two projects: `unit` (`*.spec.ts`: the specs beside the sources, and repository checks under test/ such as
 * the security catalogue's; seconds, no Redis, Chromium or network) and
 * `e2e` (test/: real HTTP servers, IdPs, Redis, Chromium, compiled processes). TypeScript runs as
 * native ESM (Nest 12 ships ESM only) on Node ≥ 24.9; see test/setup for the one-copy rule.
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^nestjs-oauth-mcp$': '<rootDir>/src/index.ts',
    '^nestjs-oauth-mcp/(testing|health)$': '<rootDir>/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup/single-esm-copies.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }],
  },
};

export default {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/test'], testRegex: '.*\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testRegex: '.*\\.e2e-spec\\.ts$',
      // One build of the library and the examples for the specs that run compiled code.
      globalSetup: '<rootDir>/test/setup/build-once.ts',
    },
  ],
};
