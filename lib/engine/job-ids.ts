import { randomBytes } from 'node:crypto';

/**
 * Job ids unique within and across processes without a clock or a UUID per
 * job: a random per-process prefix and a counter. The prefix's base64url
 * alphabet and the dash keep ids within what every driver can carry, and never
 * all digits.
 */
export function createIdGenerator(): () => string {
  const prefix = randomBytes(9).toString('base64url');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}
