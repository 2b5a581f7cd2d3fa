import type { BackoffOptions } from '../interfaces/jobs-options.interface.js';

/**
 * Ms before retry `retry` (1 for the first): `min(delay * factor^(retry-1), maxDelay)`,
 * less up to `jitter` of it. Always a finite number from 0 to `maxDelay`: the
 * growth may overflow to Infinity, and `0 * Infinity` would be NaN.
 */
export function backoffDelay(backoff: Readonly<BackoffOptions>, retry: number, random: () => number): number {
  const { delay, maxDelay, jitter } = backoff;
  const base = delay === 0 ? 0 : Math.min(delay * backoff.factor ** (retry - 1), maxDelay);
  return jitter > 0 ? base - random() * jitter * base : base;
}
