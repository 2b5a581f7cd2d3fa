import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

describe('engine: rate limits on the fake clock', () => {
  function limited(max: number, duration: number, extra: Record<string, () => unknown> = {}) {
    const starts: Array<{ at: number; job: Job }> = [];
    const engine = createEngine({
      workers: 10,
      handlers: {
        api: {
          fn: (job: Job) => {
            starts.push({ at: engine.clock.now(), job });
          },
          options: { rateLimit: { max, duration } },
        },
        ...extra,
      },
    });
    engine.engine.start();
    return { ...engine, starts };
  }

  it('starts `max` per fixed window; the window opens at the first start after the previous one closed', async () => {
    const { submit, clock, starts, engine } = limited(2, 1000);
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) await submit('api', { i });
    await flush();
    expect(starts.map((s) => s.at - t0)).toEqual([0, 0]);
    expect(engine.counts()).toMatchObject({ waiting: 3, rateLimited: 3 });
    await clock.advance(999);
    expect(starts).toHaveLength(2);
    await clock.advance(1);
    expect(starts.map((s) => s.at - t0)).toEqual([0, 0, 1000, 1000]);
    await clock.advance(1000);
    expect(starts.map((s) => s.at - t0)).toEqual([0, 0, 1000, 1000, 2000]);
    expect(engine.counts()).toMatchObject({ waiting: 0, rateLimited: 0 });
    // Idle for a while: the next window opens at the next start, not on a fixed grid.
    await clock.advance(1500);
    await submit('api', { i: 5 });
    await submit('api', { i: 6 });
    await submit('api', { i: 7 });
    await flush();
    expect(starts.slice(5).map((s) => s.at - t0)).toEqual([3500, 3500]);
    await clock.advance(1000);
    expect(starts.slice(5).map((s) => s.at - t0)).toEqual([3500, 3500, 4500]);
  });

  it('keeps priority order across windows and spends no attempt while waiting', async () => {
    const { submit, clock, starts, events } = limited(1, 500);
    await submit('api', { n: 'first' });
    await submit('api', { n: 'low' }, { priority: -5 });
    await submit('api', { n: 'high' }, { priority: 5 });
    await flush();
    await clock.advance(1000);
    expect(starts.map((s) => s.job.payload.n)).toEqual(['first', 'high', 'low']);
    expect(starts.every((s) => s.job.attempts === 0)).toBe(true);
    expect(events.filter((e) => e.kind === 'retrying' || e.kind === 'failed')).toHaveLength(0);
  });

  it('no head-of-line blocking: jobs of other types pass a type held by its limit', async () => {
    const other: number[] = [];
    const { submit, clock, starts } = limited(1, 10_000, {
      other: () => {
        other.push(clock.now());
      },
    });
    for (let i = 0; i < 100; i++) await submit('api', { i });
    await submit('other', {});
    await flush();
    expect(starts).toHaveLength(1);
    expect(other).toEqual([clock.now()]);
  });

  it('a limited type that is also at its concurrency waits for both', async () => {
    const hold = deferred();
    const starts: number[] = [];
    const { engine, submit, clock } = createEngine({
      workers: 4,
      handlers: {
        api: {
          fn: async () => {
            starts.push(clock.now());
            await hold.promise;
          },
          options: { rateLimit: { max: 3, duration: 1000 }, concurrency: 1 },
        },
      },
    });
    engine.start();
    for (let i = 0; i < 3; i++) await submit('api', { i });
    await flush();
    expect(starts).toHaveLength(1);
    await clock.advance(2000);
    expect(starts).toHaveLength(1);
    hold.resolve();
    await flush();
    await flush();
    expect(starts.length).toBe(3);
  });

  it('shutdown abandons jobs held by the limit and leaves no timer', async () => {
    const { submit, clock, starts, kernel, events } = limited(1, 60_000);
    for (let i = 0; i < 3; i++) await submit('api', { i });
    await flush();
    expect(starts).toHaveLength(1);
    const closed = kernel.close();
    await clock.advance(30_000);
    await closed;
    expect(events.filter((e) => e.kind === 'abandoned')).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });
});
