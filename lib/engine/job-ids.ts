import { randomBytes } from 'node:crypto';

/**
 * Job ids unique within and across processes without a clock or a UUID per
 * job: a random per-process prefix and a counter. The prefix's base64url
 * alphabet and the dash keep ids within what every driver can carry, and never
 * all digits.
 */
export function createIdGenerator(): IdGenerator {
  const prefix = randomBytes(9).toString('base64url');
  let counter = 0;
  return Object.assign(() => `${prefix}-${(++counter).toString(36)}`, { prefix: `${prefix}-` });
}

/** Makes the next id; `prefix` starts every id it makes (so a lookup can tell an id it never made). */
export type IdGenerator = (() => string) & { readonly prefix: string };
