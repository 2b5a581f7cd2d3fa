import { expect, it } from '@jest/globals';
import type { BullmqDriverOptions } from '../../lib/bullmq/index.js';
import type { ChildMessage } from '../fixtures/bullmq-node.js';
import { until } from '../support/bullmq-app.js';
import { type ChildNode, useChildNodes } from '../support/child-node.js';
import { describeWithRedis } from '../support/drivers.js';
import { busiestWindow } from '../support/rate-windows.js';

type EventMessage = Extract<ChildMessage, { type: 'event' }>;

describeWithRedis('BullMQ schedules and rate limits across processes (child processes on real Redis)', () => {
  const suite = useChildNodes('sched');

  async function twoWorkers(options: { workers?: number; declare?: boolean } = {}): Promise<ChildNode[]> {
    const driver: BullmqDriverOptions = { connection: suite.connection, prefix: suite.newPrefix() };
    return Promise.all([0, 1].map(() => suite.start({ driver, workers: options.workers ?? 2, declare: options.declare })));
  }

  const eventsOf = (all: ChildNode[], kind: string, jobType: string): EventMessage[] =>
    all.flatMap((node) => node.events(kind)).filter((event) => event.jobType === jobType);

  /** Each tick's job id is `repeat:<key>:<tick ms>`: the ticks that ran, in order. */
  function tickTimes(events: readonly EventMessage[]): number[] {
    return events.map((event) => Number(event.id.split(':').at(-1))).sort((a, b) => a - b);
  }

  function expectOneRunPerTick(all: ChildNode[], jobType: string): void {
    const started = eventsOf(all, 'started', jobType);
    const ids = started.map((event) => event.id);
    // Every tick ran once in total across both processes...
    expect(new Set(ids).size).toBe(ids.length);
    // ...and no tick was skipped or doubled: one job per second.
    const times = tickTimes(started);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
  }

  it('one schedule, two worker processes: each tick runs once in total', async () => {
    const [a, b] = await twoWorkers();
    const reply = await a.schedule('per-second', 'tick', { n: 1 }, { every: 1000 });
    expect(reply).toMatchObject({ type: 'scheduled', schedules: [{ key: 'per-second', type: 'tick' }] });
    expect(await b.listSchedules()).toEqual((reply as Extract<ChildMessage, { type: 'scheduled' }>).schedules);
    await until(() => eventsOf([a, b], 'completed', 'tick').length >= 4);
    expectOneRunPerTick([a, b], 'tick');
    expect(eventsOf([a, b], 'failed', 'tick')).toEqual([]);
  }, 20_000);

  it('the same decorator schedule declared in both processes: one schedule, one run per tick', async () => {
    const [a, b] = await twoWorkers({ declare: true });
    expect((await a.listSchedules()).filter((s) => s.key === 'declared')).toHaveLength(1);
    await until(() => eventsOf([a, b], 'completed', 'declared').length >= 4);
    expectOneRunPerTick([a, b], 'declared');
  }, 20_000);

  it('rateLimit { max: 2, duration: 1000 } over two processes: never more than 2 starts a window, all complete, none fails', async () => {
    const [a, b] = await twoWorkers({ workers: 4 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const reply = await (i % 2 === 0 ? a : b).submit('limited', { i });
      if (reply.type === 'submitted') ids.push(reply.id);
    }
    expect(ids).toHaveLength(8);
    await until(() => eventsOf([a, b], 'completed', 'limited').length === 8);
    const starts = eventsOf([a, b], 'started', 'limited');
    expect(starts.map((event) => event.id).sort()).toEqual([...ids].sort());
    expect(busiestWindow(starts.map((event) => event.at), 1000)).toBeLessThanOrEqual(2);
    // Eight jobs at two a window take at least four windows.
    const times = starts.map((event) => event.at);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3000 - 25);
    expect(starts.every((event) => event.attempts === 0)).toBe(true);
    expect([...eventsOf([a, b], 'failed', 'limited'), ...eventsOf([a, b], 'retrying', 'limited')]).toEqual([]);
  }, 30_000);
});
