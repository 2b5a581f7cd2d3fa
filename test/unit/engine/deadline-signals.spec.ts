import { describe, expect, it } from '@jest/globals';
import { type BucketHolder, type DeadlineBucket, DeadlineSignals } from '../../../lib/engine/deadline-signals.js';
import { FakeClock } from '../../support/fake-clock.js';

function setup() {
  const clock = new FakeClock(0);
  const expired: DeadlineBucket[] = [];
  const signals = new DeadlineSignals(clock, 2, (bucket) => expired.push(bucket));
  const holder: BucketHolder = { bucket: null };
  /** One short attempt that starts now with a 100 ms timeout and settles at once. */
  const attempt = (touch?: (signal: AbortSignal) => void): AbortSignal => {
    const bucket = signals.acquire(clock.now() + 100, holder);
    touch?.(bucket.signal);
    signals.release(bucket);
    return bucket.signal;
  };
  return { clock, signals, holder, expired, attempt };
}

describe('DeadlineSignals: controllers handed on between slots', () => {
  it('hands an untouched, unaborted signal of a finished slot to a later slot, unaborted', async () => {
    const { clock, attempt } = setup();
    const first = attempt();
    await clock.advance(2);
    attempt(); // a new slot: the first one is no one's any more
    await clock.advance(2);
    const third = attempt();
    expect(third).toBe(first);
    expect(third.aborted).toBe(false);
  });

  it('never hands on a signal that still has an abort listener, nor one AbortSignal.any depends on', async () => {
    const { clock, attempt } = setup();
    const seen = new Set<AbortSignal>();
    const listened = attempt((signal) => signal.addEventListener('abort', () => undefined));
    const derived = attempt();
    AbortSignal.any([derived]);
    for (let i = 0; i < 40; i++) {
      await clock.advance(2);
      seen.add(attempt());
    }
    expect(seen.has(listened)).toBe(false);
    expect(seen.has(derived)).toBe(false);
  });

  it('hands on a signal whose listener was removed again', async () => {
    const { clock, attempt } = setup();
    const first = attempt((signal) => {
      const listener = () => undefined;
      signal.addEventListener('abort', listener);
      signal.removeEventListener('abort', listener);
    });
    await clock.advance(2);
    attempt();
    await clock.advance(2);
    expect(attempt()).toBe(first);
  });

  it('still aborts a running attempt at its slot, on a handed-on signal too', async () => {
    const { clock, signals, holder, expired, attempt } = setup();
    const first = attempt();
    await clock.advance(2);
    attempt();
    await clock.advance(2);
    const bucket = signals.acquire(clock.now() + 100, holder);
    expect(bucket.signal).toBe(first);
    await clock.advance(99);
    expect(bucket.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(bucket.signal.aborted).toBe(true);
    expect(expired).toEqual([bucket]);
  });
});
