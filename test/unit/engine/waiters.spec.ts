import { describe, expect, it } from '@jest/globals';
import { IdleWaiters, SizeWaiters } from '../../../lib/engine/waiters.js';
import { flush } from '../../support/deferred.js';

/** Tracks which of some promises have settled, by label. */
function track(promises: Record<string, Promise<void>>) {
  const settled = new Set<string>();
  for (const [label, promise] of Object.entries(promises)) void promise.then(() => settled.add(label));
  return async () => {
    await flush();
    return [...settled].sort();
  };
}

describe('SizeWaiters', () => {
  it('settles exactly the waits whose limit the size is below', async () => {
    const waiters = new SizeWaiters();
    const settled = track({ below3: waiters.wait(3), below5: waiters.wait(5), below10: waiters.wait(10) });
    waiters.check(5);
    expect(await settled()).toEqual(['below10']);
    expect(waiters.pending).toBe(true);
    waiters.check(3);
    expect(await settled()).toEqual(['below10', 'below5']);
    waiters.check(2);
    expect(await settled()).toEqual(['below10', 'below3', 'below5']);
    expect(waiters.pending).toBe(false);
  });

  it('leaves every wait pending when the size is at or above all limits', async () => {
    const waiters = new SizeWaiters();
    const settled = track({ a: waiters.wait(1), b: waiters.wait(4), c: waiters.wait(4) });
    waiters.check(4);
    waiters.check(100);
    expect(await settled()).toEqual([]);
    expect(waiters.pending).toBe(true);
  });

  it('still settles the smaller limits after the largest is gone', async () => {
    const waiters = new SizeWaiters();
    const settled = track({ small: waiters.wait(2), large: waiters.wait(8) });
    waiters.check(5);
    expect(await settled()).toEqual(['large']);
    waiters.check(2);
    expect(await settled()).toEqual(['large']);
    waiters.check(1);
    expect(await settled()).toEqual(['large', 'small']);
  });

  it('settles every pending wait on settleAll, and takes new waits after', async () => {
    const waiters = new SizeWaiters();
    expect(waiters.pending).toBe(false);
    const settled = track({ a: waiters.wait(1), b: waiters.wait(1000) });
    waiters.settleAll();
    expect(await settled()).toEqual(['a', 'b']);
    expect(waiters.pending).toBe(false);
    const later = track({ c: waiters.wait(2) });
    expect(waiters.pending).toBe(true);
    waiters.check(1);
    expect(await later()).toEqual(['c']);
  });
});

describe('IdleWaiters', () => {
  it('settles every wait at once, then is no longer pending', async () => {
    const waiters = new IdleWaiters();
    expect(waiters.pending).toBe(false);
    waiters.settle(); // nothing waits: a no-op
    const settled = track({ a: waiters.wait(), b: waiters.wait() });
    expect(waiters.pending).toBe(true);
    expect(await settled()).toEqual([]);
    waiters.settle();
    expect(await settled()).toEqual(['a', 'b']);
    expect(waiters.pending).toBe(false);
  });

  it('holds a wait made after a settle until the next settle', async () => {
    const waiters = new IdleWaiters();
    const first = track({ a: waiters.wait() });
    waiters.settle();
    const second = track({ b: waiters.wait() });
    expect(await first()).toEqual(['a']);
    expect(await second()).toEqual([]);
    waiters.settle();
    expect(await second()).toEqual(['b']);
  });
});
