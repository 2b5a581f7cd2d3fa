import { afterAll, expect, it } from '@jest/globals';
import { type ConnectionOptions, Queue } from 'bullmq';
import { type JobEvent, QueueClosedError, UnknownJobTypeError } from '../../../lib/index.js';
import { driverOf, firstEvent, nextEvent, until, useSharedRedis } from '../../support/bullmq-app.js';
import { describeWithRedis } from '../../support/drivers.js';

describeWithRedis('BullMQ driver: timeouts, caps, roles and shutdown on real Redis', () => {
  const suite = useSharedRedis();
  const queues: Queue[] = [];

  afterAll(async () => {
    for (const queue of queues) await queue.close();
  });

  const newPrefix = () => suite.newPrefix('life');

  function start(
    options: { workers?: number; shutdownTimeout?: number } = {},
    driver: { prefix?: string; role?: 'both' | 'producer' | 'worker' } = {},
  ) {
    return suite.start(
      { workers: options.workers ?? 4, queueSize: 100, shutdownTimeout: options.shutdownTimeout ?? 2000 },
      { prefix: driver.prefix ?? newPrefix(), role: driver.role },
    );
  }

  /** A plain BullMQ view of one job type's queue, to look at Redis directly. */
  function inspect(prefix: string, type: string): Queue {
    const queue = new Queue(type, { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    queues.push(queue);
    return queue;
  }

  it('aborts an attempt at its timeout, and starts the retry only after the handler settles', async () => {
    const prefix = newPrefix();
    const app = await start({}, { prefix });
    await app.jobs.submit('stubborn', null, { id: 's1' });
    const attemptTimedOut = async (attempts: number) => {
      await firstEvent(app, (e) => e.kind === 'started' && e.job.id === 's1' && e.job.attempts === attempts);
      const signal = app.work.signals[attempts];
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    };
    await attemptTimedOut(0);
    // Past its deadline the handler still holds its worker and the job: nothing is reported yet, and no second attempt may start.
    expect(app.jobs.metrics()).toMatchObject({ active: 1, stuck: 1, failed: 0, retried: 0 });
    expect(await (await inspect(prefix, 'stubborn').getJob('s1'))!.getState()).toBe('active');
    app.work.gate('s1:0').resolve();
    const retrying = await nextEvent(app, 'retrying', 's1');
    expect(retrying).toMatchObject({ job: { attempts: 0 }, error: 'Attempt timed out after 50 ms' });
    // The second attempt times out too; once released, it settles and the job fails for good.
    await attemptTimedOut(1);
    app.work.gate('s1:1').resolve();
    await nextEvent(app, 'failed', 's1');
    await app.jobs.onIdle();
    expect(app.events.filter((e) => e.job.id === 's1').map((e) => `${e.kind}:${e.job.attempts}`)).toEqual([
      'submitted:0',
      'started:0',
      'retrying:0',
      'started:1',
      'failed:1',
    ]);
    expect(app.work.maxRunningBy.get('s1')).toBe(1);
  });

  it('holds both caps in a worker process: per-type concurrency and the process-wide workers', async () => {
    const app = await start({ workers: 2 });
    const ids = ['c1', 'c2', 'c3', 'h1', 'h2', 'h3'];
    for (const id of ids) await app.jobs.submit(id.startsWith('c') ? 'capped' : 'held', null, { id });
    const started = new Set<string>();
    const onStart = (event: JobEvent) => event.kind === 'started' && started.add(event.job.id);
    app.jobs.events$.subscribe(onStart);
    app.events.forEach(onStart);
    // Release jobs one by one as they start, until all have run.
    const released = new Set<string>();
    while (released.size < ids.length) {
      const next = [...started].find((id) => !released.has(id));
      if (next === undefined) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      released.add(next);
      app.work.gate(next).resolve();
    }
    await app.jobs.onIdle();
    expect(app.work.ran.map((r) => r.id).sort()).toEqual(ids);
    expect(app.work.maxRunning).toBeLessThanOrEqual(2);
    expect(app.work.maxRunningBy.get('capped')).toBe(1);
  });

  it('a producer runs no handler, a worker runs them (and may submit follow-up jobs), on the same queues', async () => {
    const prefix = newPrefix();
    const producer = await start({}, { prefix, role: 'producer' });
    const worker = await start({}, { prefix, role: 'worker' });
    await expect(producer.jobs.submit('unknown', {})).rejects.toBeInstanceOf(UnknownJobTypeError);
    const job = await producer.jobs.submit('plain', { n: 1 });
    await producer.jobs.onIdle();
    expect(producer.work.ran).toEqual([]);
    expect(worker.work.ran).toEqual([{ id: job.id, payload: { n: 1 }, attempts: 0 }]);
    const followUp = await worker.jobs.submit('plain', { n: 2 });
    await worker.jobs.onIdle();
    expect(worker.work.ran).toContainEqual({ id: followUp.id, payload: { n: 2 }, attempts: 0 });
    expect(producer.work.ran).toEqual([]);
  });

  it('drains on close: intake stops, the running job finishes', async () => {
    const prefix = newPrefix();
    const app = await start({}, { prefix });
    await app.jobs.submit('held', null, { id: 'd1' });
    await nextEvent(app, 'started', 'd1');
    const closing = app.close();
    await until(() => driverOf(app).health().state === 'draining');
    await expect(app.jobs.submit('held', null)).rejects.toBeInstanceOf(QueueClosedError);
    app.work.gate('d1').resolve();
    await closing;
    expect(app.events.map((e) => e.kind)).toEqual(['submitted', 'started', 'completed']);
    expect(await inspect(prefix, 'held').getJobCounts()).toMatchObject({ active: 0, waiting: 0, prioritized: 0, failed: 0, completed: 0 });
  });

  it('at the shutdown deadline aborts the attempt and returns its job to the queue without spending an attempt', async () => {
    const prefix = newPrefix();
    const app = await start({ shutdownTimeout: 200 }, { prefix });
    await app.jobs.submit('held', { n: 1 }, { id: 'r1' });
    await nextEvent(app, 'started', 'r1');
    await app.close();
    expect(app.work.signals[0].aborted).toBe(true);
    expect(app.events.map((e) => e.kind)).toEqual(['submitted', 'started', 'abandoned']);
    expect(app.logger.at('warn')).toContainEqual(expect.stringMatching(/^Returned 1 unfinished job\(s\) to the queue at the shutdown deadline.*: r1$/));
    const stored = (await inspect(prefix, 'held').getJob('r1'))!;
    expect(await stored.getState()).toBe('prioritized');
    expect(stored.attemptsMade).toBe(0);
    // A late settle emits nothing.
    app.work.gate('r1').resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.events).toHaveLength(3);

    const next = await start({}, { prefix });
    next.work.gate('r1').resolve();
    await next.jobs.onIdle();
    expect(next.work.ran).toEqual([{ id: 'r1', payload: { n: 1 }, attempts: 0 }]);
  });
});
