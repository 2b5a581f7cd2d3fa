import { swcOptions } from './swc.config.js';

/** Jest in native ESM mode: run with NODE_OPTIONS=--experimental-vm-modules (npm test does). */
const swc = { ...swcOptions, sourceMaps: 'inline' };

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    // The package imported by name resolves to the very modules under test.
    '^nestjs-jobs$': '<rootDir>/lib/index.ts',
    '^nestjs-jobs/(.*)$': '<rootDir>/lib/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // Build output (CI unpacks the tarball in .build/pack, a second "nestjs-jobs") and the CommonJS app's own install.
  modulePathIgnorePatterns: ['<rootDir>/.build/', '<rootDir>/fixtures/'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  testTimeout: 20000,
};
