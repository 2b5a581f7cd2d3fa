import type { BackoffOptions } from '../interfaces/jobs-options.interface.js';

/** Ms before retry `retry` (1 for the first): `min(delay * factor^(retry-1), maxDelay)`, less up to `jitter` of it. */
export function backoffDelay(backoff: Readonly<BackoffOptions>, retry: number, random: () => number): number {
  const base = Math.min(backoff.delay * backoff.factor ** (retry - 1), backoff.maxDelay);
  return backoff.jitter > 0 ? base - random() * backoff.jitter * base : base;
}
