/**
 * The one TypeScript transform outside tsc, shared by Jest and `npm start`'s
 * quick build: legacy decorators with metadata, which Nest's injection needs.
 */
export const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'es6' },
};
