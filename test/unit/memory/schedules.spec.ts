import { describe, expect, it } from '@jest/globals';
import { CronExpressionParser } from 'cron-parser';
import type { Job } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

const started = (events: Array<{ kind: string; job: Job }>, type: string) => events.filter((e) => e.kind === 'started' && e.job.type === type);

describe('engine: schedules on the fake clock', () => {
  it('ticks on time: the first `every` tick one interval after schedule(), then one per interval', async () => {
    const { kernel, clock, events } = createEngine({ handlers: { report: () => undefined } });
    await kernel.start();
    const t0 = clock.now();
    const record = await kernel.schedule('r', 'report', { n: 1 }, { every: 5000 });
    expect(record.next.getTime()).toBe(t0 + 5000);
    await clock.advance(4999);
    expect(started(events, 'report')).toHaveLength(0);
    await clock.advance(1);
    expect(started(events, 'report')).toHaveLength(1);
    await clock.advance(5000 * 3);
    const starts = started(events, 'report');
    expect(starts).toHaveLength(4);
    expect(starts.map((e) => e.job.createdAt.getTime() - t0)).toEqual([5000, 10_000, 15_000, 20_000]);
    expect(starts.every((e) => e.job.payload.n === 1)).toBe(true);
    expect((await kernel.listSchedules())[0].next.getTime()).toBe(t0 + 25_000);
  });

  it('a cron tick comes at the time cron-parser computes, in the timezone given', async () => {
    const { kernel, clock, events } = createEngine({ handlers: { report: () => undefined } });
    await kernel.start();
    const expected = CronExpressionParser.parse('30 9 * * *', { currentDate: new Date(clock.now()), tz: 'America/New_York' })
      .next()
      .getTime();
    const record = await kernel.schedule('ny', 'report', {}, { cron: '30 9 * * *', timezone: 'America/New_York' });
    expect(record.next.getTime()).toBe(expected);
    expect(new Date(expected).toISOString()).toBe('2026-01-01T14:30:00.000Z');
    await clock.advance(expected - clock.now() - 1);
    expect(started(events, 'report')).toHaveLength(0);
    await clock.advance(1);
    expect(started(events, 'report')).toHaveLength(1);
    expect((await kernel.listSchedules())[0].next.toISOString()).toBe('2026-01-02T14:30:00.000Z');
  });

  it('a slow job does not pile ticks up: at most one job per schedule waits', async () => {
    const hold = deferred();
    const { kernel, clock, events, engine } = createEngine({ workers: 1, handlers: { report: () => hold.promise } });
    await kernel.start();
    await kernel.schedule('r', 'report', {}, { every: 1000 });
    await clock.advance(1000);
    expect(started(events, 'report')).toHaveLength(1);
    await clock.advance(10_000);
    // Tick 2 waits behind the running tick 1; ticks 3..11 found it still waiting.
    expect(engine.counts()).toMatchObject({ waiting: 1, active: 1 });
    expect(events.filter((e) => e.kind === 'submitted')).toHaveLength(2);
    hold.resolve();
    await flush();
    expect(started(events, 'report')).toHaveLength(2);
    await clock.advance(1000);
    expect(started(events, 'report')).toHaveLength(3);
  });

  it('a retrying job is not pending: the next tick still submits', async () => {
    let calls = 0;
    const { kernel, clock, events } = createEngine({
      workers: 2,
      backoff: { delay: 10_000 },
      handlers: {
        report: () => {
          if (++calls === 1) throw new Error('first fails');
        },
      },
    });
    await kernel.start();
    await kernel.schedule('r', 'report', {}, { every: 1000 });
    await clock.advance(1000);
    expect(events.filter((e) => e.kind === 'retrying')).toHaveLength(1);
    await clock.advance(1000);
    expect(events.filter((e) => e.kind === 'completed')).toHaveLength(1);
  });

  it('the upcoming tick is not a job: not counted, not refused at the bound, not waited for by onIdle', async () => {
    const { kernel, clock } = createEngine({ queueSize: 1, handlers: { report: () => undefined } });
    await kernel.start();
    await kernel.schedule('a', 'report', {}, { every: 1000 });
    await kernel.schedule('b', 'report', {}, { every: 1000 });
    expect(kernel.metrics()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    await kernel.onIdle();
    await clock.advance(1000);
    expect(kernel.metrics()).toMatchObject({ processed: 2, rejected: 0 });
  });

  it('unschedule takes the pending job out, with a removed event', async () => {
    const hold = deferred();
    const { kernel, clock, events, engine } = createEngine({ workers: 1, handlers: { report: () => hold.promise } });
    await kernel.start();
    await kernel.schedule('r', 'report', {}, { every: 1000 });
    await clock.advance(2000);
    expect(engine.counts()).toMatchObject({ waiting: 1, active: 1 });
    await expect(kernel.unschedule('r')).resolves.toBe(true);
    expect(engine.counts()).toMatchObject({ waiting: 0, active: 1 });
    const removed = events.filter((e) => e.kind === 'removed');
    expect(removed).toHaveLength(1);
    hold.resolve();
    await kernel.onIdle();
    expect(started(events, 'report')).toHaveLength(1);
    await clock.advance(10_000);
    expect(started(events, 'report')).toHaveLength(1);
  });

  it('missed ticks are not replayed: a clock jump past many ticks gives one job', async () => {
    const { kernel, clock, events } = createEngine({ handlers: { report: () => undefined } });
    await kernel.start();
    await kernel.schedule('r', 'report', {}, { every: 1000 });
    // The event loop was blocked for a minute: the timer fires once, late.
    clock.jump(60_500);
    await clock.advance(0);
    expect(started(events, 'report')).toHaveLength(1);
    // The phase is kept: the next tick is on the next whole interval.
    expect((await kernel.listSchedules())[0].next.getTime() - Date.UTC(2026, 0, 1)).toBe(61_000);
  });

  it('declared schedules (key = type) are applied at start-up', async () => {
    const { kernel, clock, events } = createEngine({
      handlers: { digest: { fn: () => undefined, options: { schedule: { every: 2000, payload: { kind: 'd' } } } } },
    });
    expect(await kernel.listSchedules()).toEqual([]);
    await kernel.start();
    expect(await kernel.listSchedules()).toEqual([{ key: 'digest', type: 'digest', every: 2000, timezone: 'UTC', next: new Date(clock.now() + 2000) }]);
    await clock.advance(2000);
    expect(started(events, 'digest').map((e) => e.job.payload)).toEqual([{ kind: 'd' }]);
  });

  it('shutdown stops every tick and leaves no timer', async () => {
    const { kernel, clock, events } = createEngine({ handlers: { report: () => undefined } });
    await kernel.start();
    await kernel.schedule('a', 'report', {}, { every: 1000 });
    await kernel.schedule('b', 'report', {}, { cron: '* * * * *' });
    await kernel.close();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(120_000);
    expect(started(events, 'report')).toHaveLength(0);
  });
});
