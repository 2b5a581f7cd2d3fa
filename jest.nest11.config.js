import base from './jest.config.js';

/**
 * The CI leg on Nest 11: the e2e and contract suites, from the same sources,
 * with every @nestjs package taken from .ci/nest11 (run `npm ci` there first).
 * rxjs and reflect-metadata stay the root's single copies (.ci/nest11/.npmrc
 * installs no peers), as in an app.
 */
export default {
  ...base,
  moduleNameMapper: {
    '^@nestjs/(common|core|testing|platform-express|platform-fastify|terminus)(.*)$': '<rootDir>/.ci/nest11/node_modules/@nestjs/$1$2',
    ...base.moduleNameMapper,
  },
  testMatch: ['<rootDir>/test/contract/**/*.spec.ts', '<rootDir>/test/e2e/**/*.spec.ts'],
  // Specs whose app runs in a child process load Nest from the root install (12), not from here.
  testPathIgnorePatterns: ['/node_modules/', 'process[^/]*\\.spec\\.ts$'],
};
