import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { backoffDelay } from '../../../lib/engine/backoff.js';
import type { BackoffOptions } from '../../../lib/interfaces/jobs-options.interface.js';
import { MAX_TIMER_MS } from '../../../lib/engine/limits.js';

const DEFAULTS: BackoffOptions = { delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 };
const never = () => {
  throw new Error('random() must not be called without jitter');
};

describe('backoffDelay', () => {
  it('waits min(delay * factor^(n-1), maxDelay): 1 s, 2 s, 4 s … capped at maxDelay', () => {
    const waits = Array.from({ length: 12 }, (_, i) => backoffDelay(DEFAULTS, i + 1, never));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('follows other factors, and factor 1 waits the same each time', () => {
    const triple = { ...DEFAULTS, delay: 100, factor: 3, maxDelay: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(triple, n, never))).toEqual([100, 300, 900, 2700, 8100, 10_000]);
    const flat = { ...DEFAULTS, delay: 500, factor: 1 };
    expect([1, 10, 1000].map((n) => backoffDelay(flat, n, never))).toEqual([500, 500, 500]);
  });

  it('takes up to `jitter` of the wait off, using the injected random', () => {
    const jittery = { ...DEFAULTS, jitter: 0.5 };
    // Retry 3 waits 4000 ms before jitter.
    expect(backoffDelay(jittery, 3, () => 0)).toBe(4000);
    expect(backoffDelay(jittery, 3, () => 0.5)).toBe(3000);
    expect(backoffDelay(jittery, 3, () => 1)).toBe(2000);
    const full = { ...DEFAULTS, jitter: 1 };
    expect(backoffDelay(full, 3, () => 1)).toBe(0);
  });

  it('waits nothing for delay 0 however far the growth overflows (2 ** 1999 is Infinity; 0 * Infinity is NaN)', () => {
    expect(2 ** 1999).toBe(Infinity);
    const none = { ...DEFAULTS, delay: 0, factor: 2 };
    expect(backoffDelay(none, 1, never)).toBe(0);
    expect(backoffDelay(none, 2000, never)).toBe(0);
    expect(backoffDelay({ ...none, jitter: 0.7 }, 2000, () => 0.3)).toBe(0);
  });

  it('waits maxDelay for a huge retry number with a delay above 0', () => {
    expect(backoffDelay(DEFAULTS, 2000, never)).toBe(300_000);
    expect(backoffDelay(DEFAULTS, Number.MAX_SAFE_INTEGER, never)).toBe(300_000);
    expect(backoffDelay({ ...DEFAULTS, delay: 1, factor: 1.0001, maxDelay: MAX_TIMER_MS }, 10_000_000, never)).toBe(MAX_TIMER_MS);
  });

  it('always returns a finite wait from 0 to maxDelay', () => {
    const backoff = fc.record({
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_TIMER_MS })),
      factor: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 1e6, noNaN: true })),
      maxDelay: fc.integer({ min: 0, max: MAX_TIMER_MS }),
      jitter: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
    });
    const retry = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
    const random = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(backoff, retry, random, (options, n, r) => {
        const wait = backoffDelay(options, n, () => r);
        expect(Number.isFinite(wait)).toBe(true);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(options.maxDelay);
      }),
    );
  });
});
