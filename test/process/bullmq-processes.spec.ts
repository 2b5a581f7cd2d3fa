import { expect, it } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import type { BullmqDriverOptions } from '../../lib/bullmq/index.js';
import { useChildNodes } from '../support/child-node.js';
import { describeWithRedis } from '../support/drivers.js';
import { startRedisServer } from '../support/redis.js';

/** Reads until the value equals `expected` (state another process changes in the background), for at most 5 s. */
async function eventually(read: () => Promise<unknown>, expected: unknown): Promise<void> {
  const deadline = Date.now() + 5000;
  let value = await read();
  while (!isDeepStrictEqual(value, expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  expect(value).toEqual(expected);
}

describeWithRedis('BullMQ driver across processes (child processes on real Redis)', () => {
  const suite = useChildNodes('proc');
  const node = suite.start;
  const newPrefix = suite.newPrefix;

  function driver(prefix: string, role: BullmqDriverOptions['role'], tuning: Partial<BullmqDriverOptions> = {}): BullmqDriverOptions {
    return { connection: suite.connection, prefix, role, ...tuning };
  }

  it('a producer and two workers share the load; every accepted job completes', async () => {
    const prefix = newPrefix();
    const [producer, a, b] = await Promise.all([
      node({ driver: driver(prefix, 'producer'), workers: 1 }),
      node({ driver: driver(prefix, 'worker'), workers: 1 }),
      node({ driver: driver(prefix, 'worker'), workers: 1 }),
    ]);
    // Two held jobs and one worker slot each: both workers must take one.
    const held = [await producer.submit('task', { hold: true }), await producer.submit('task', { hold: true })];
    const ids = held.map((r) => (r.type === 'submitted' ? r.id : r.message));
    await Promise.all(ids.map((id) => Promise.race([a.event('started', id), b.event('started', id)])));
    expect(a.events('started')).toHaveLength(1);
    expect(b.events('started')).toHaveLength(1);
    for (const r of ids) {
      a.send({ type: 'release', id: r });
      b.send({ type: 'release', id: r });
    }
    for (let i = 0; i < 30; i++) {
      const result = await producer.submit('task', { n: i });
      if (result.type === 'submitted') ids.push(result.id);
    }
    expect(ids).toHaveLength(32);
    await Promise.all(ids.map((id) => Promise.race([a.event('completed', id), b.event('completed', id)])));
    const completed = [...a.events('completed'), ...b.events('completed')].map((e) => e.id).sort();
    expect(completed).toEqual([...ids].sort());
    expect(producer.events('started')).toEqual([]);
    // Closed cleanly, each process exits on its own: no timer or connection left open.
    expect(await producer.close()).toEqual({ code: 0, signal: null });
    expect(await a.close()).toEqual({ code: 0, signal: null });
    expect(await b.close()).toEqual({ code: 0, signal: null });
  });

  it('a job failed in a worker process is found, listed and retried from a producer-only process, then completes; counts agree', async () => {
    const prefix = newPrefix();
    const [producer, worker] = await Promise.all([
      node({ driver: driver(prefix, 'producer'), workers: 1 }),
      node({ driver: driver(prefix, 'worker'), workers: 1 }),
    ]);
    await producer.submit('task', { fail: true }, { id: 'doomed' });
    await producer.submit('task', { fail: true }, { id: 'also-doomed' });
    await Promise.all([worker.event('failed', 'doomed'), worker.event('failed', 'also-doomed')]);
    // The worker reports the failure before BullMQ has moved the job to its failed set: look until it is there.
    const taskCounts = async (node: typeof producer) => ((await node.store('jobCounts')).value as Record<string, unknown>).task;
    await eventually(() => taskCounts(producer), { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 2 });
    expect(await taskCounts(worker)).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 2 });

    const found = (await producer.store('getJob', 'doomed')).value;
    expect(found).toMatchObject({ id: 'doomed', type: 'task', state: 'failed', error: 'declined', attemptsMade: 1, payload: { fail: true } });
    const listed = (await producer.store('listJobs', { state: 'failed', limit: 1 })).value as { jobs: Array<{ id: string }>; next: string };
    const rest = (await producer.store('listJobs', { state: 'failed', limit: 1, cursor: listed.next })).value as { jobs: Array<{ id: string }>; next?: string };
    expect([...listed.jobs, ...rest.jobs].map((job) => job.id)).toEqual(['also-doomed', 'doomed']);
    expect(rest.next).toBeUndefined();

    worker.send({ type: 'release', id: 'doomed' });
    const retried = await producer.store('retryJob', 'doomed');
    expect(retried.value).toMatchObject({ id: 'doomed', state: 'waiting', attempts: 0, attemptsMade: 0 });
    await worker.event('completed', 'doomed');
    expect(producer.events('submitted').map((e) => e.id)).toEqual(['doomed', 'also-doomed', 'doomed']);
    expect(await producer.metrics()).toMatchObject({ retriedManually: 1 });
    await eventually(async () => ((await producer.store('jobCounts')).value as Record<string, { failed: number }>).task.failed, 1);
    expect(((await worker.store('jobCounts')).value as Record<string, { failed: number }>).task.failed).toBe(1);
    expect((await producer.store('retryJob', 'doomed')).error).toMatchObject({ name: 'JobNotFoundError' });
    expect(await producer.store('removeJob', 'also-doomed')).toMatchObject({ value: true });
    expect((await worker.store('getJob', 'also-doomed')).value).toBeUndefined();
    expect(await producer.close()).toEqual({ code: 0, signal: null });
    expect(await worker.close()).toEqual({ code: 0, signal: null });
  });

  it('kill -9 of a worker mid-job: the other worker completes the job, none lost, no attempt spent', async () => {
    const prefix = newPrefix();
    const fast = { lockDuration: 400, stalledInterval: 200 };
    const [producer, victim] = await Promise.all([
      node({ driver: driver(prefix, 'producer'), workers: 1 }),
      node({ driver: driver(prefix, 'worker', fast), workers: 1 }),
    ]);
    const held = await producer.submit('task', { hold: true }, { id: 'survivor' });
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await producer.submit('task', { n: i }, { id: `other-${i}` }));
    await victim.event('started', 'survivor');
    victim.kill('SIGKILL');
    await victim.exited;
    const heir = await node({ driver: driver(prefix, 'worker', fast), workers: 2 });
    heir.send({ type: 'release', id: 'survivor' });
    const done = await heir.event('completed', 'survivor');
    expect(done).toMatchObject({ attempts: 0 });
    expect(held).toMatchObject({ type: 'submitted', id: 'survivor' });
    const finished = new Set([...victim.events('completed'), ...heir.events('completed')].map((e) => e.id));
    await Promise.all(
      others.map((r) => (r.type === 'submitted' && !finished.has(r.id) ? heir.event('completed', r.id) : undefined)),
    );
  });

  it('a job whose worker died more often than maxStalledCount allows: the surviving worker reports it failed (event, metric, log)', async () => {
    const prefix = newPrefix();
    // maxStalledCount 0: one death is one too many.
    const fast = { lockDuration: 400, stalledInterval: 200, maxStalledCount: 0 };
    const pair = await Promise.all([
      node({ driver: driver(prefix, 'both', fast), workers: 1 }),
      node({ driver: driver(prefix, 'worker', fast), workers: 1 }),
    ]);
    await pair[0].submit('task', { hold: true }, { id: 'doomed' });
    const runner = await Promise.race(pair.map((n) => n.event('started', 'doomed').then(() => n)));
    const survivor = pair.find((n) => n !== runner)!;
    runner.kill('SIGKILL');
    await runner.exited;

    const failed = await survivor.event('failed', 'doomed');
    expect(failed).toMatchObject({ attempts: 0, error: expect.stringMatching(/stalled/) });
    expect(survivor.events('started')).toEqual([]);
    expect(await survivor.metrics()).toMatchObject({ failed: 1, processed: 0 });
    expect(survivor.output.join('')).toMatch(/Job doomed \(task\) failed after 1 attempt\(s\): .*stalled/);
    // And it is kept, like any failure, for a look and a retry.
    await eventually(async () => ((await survivor.store('getJob', 'doomed')).value as { state?: string } | undefined)?.state, 'failed');
    expect((await survivor.store('getJob', 'doomed')).value).toMatchObject({ id: 'doomed', error: expect.stringMatching(/stalled/) });
  });

  it('SIGTERM of a worker mid-job: the job goes back to the queue without spending an attempt, and runs elsewhere', async () => {
    const prefix = newPrefix();
    const [producer, leaving] = await Promise.all([
      node({ driver: driver(prefix, 'producer'), workers: 1 }),
      node({ driver: driver(prefix, 'worker'), workers: 1, shutdownTimeout: 300 }),
    ]);
    await producer.submit('task', { hold: true }, { id: 'handover' });
    await leaving.event('started', 'handover');
    leaving.kill('SIGTERM');
    await leaving.event('abandoned', 'handover');
    expect((await leaving.exited).signal).toBe('SIGTERM');
    const staying = await node({ driver: driver(prefix, 'worker'), workers: 1 });
    staying.send({ type: 'release', id: 'handover' });
    expect(await staying.event('completed', 'handover')).toMatchObject({ attempts: 0 });
  });

  it('SIGTERM of a worker whose job finishes in time: drained, completed there', async () => {
    const prefix = newPrefix();
    const [producer, leaving] = await Promise.all([
      node({ driver: driver(prefix, 'producer'), workers: 1 }),
      node({ driver: driver(prefix, 'worker'), workers: 1, shutdownTimeout: 10_000 }),
    ]);
    await producer.submit('task', { hold: true }, { id: 'drained' });
    await leaving.event('started', 'drained');
    leaving.kill('SIGTERM');
    leaving.send({ type: 'release', id: 'drained' });
    await leaving.event('completed', 'drained');
    expect((await leaving.exited).signal).toBe('SIGTERM');
    expect(leaving.events('abandoned')).toEqual([]);
  });

  it('Redis down: a worker process with a job running closes by its deadline and exits on its own', async () => {
    const own = await startRedisServer();
    try {
      const worker = await node({ driver: { connection: own.connection, prefix: 'down', role: 'both' }, workers: 1, shutdownTimeout: 300 });
      await worker.submit('task', { hold: true }, { id: 'orphan' });
      await worker.event('started', 'orphan');
      await own.kill();
      // Generous failure bound: the process must end by itself well before it.
      let bound: NodeJS.Timeout | undefined;
      const stillRunning = new Promise<'still running'>((resolve) => (bound = setTimeout(() => resolve('still running'), 10_000)));
      const ended = await Promise.race([worker.close(), stillRunning]);
      clearTimeout(bound);
      expect(ended).toEqual({ code: 0, signal: null });
      expect(worker.events('abandoned').map((e) => e.id)).toEqual(['orphan']);
    } finally {
      await own.stop();
    }
  });

  it('Redis paused: a worker process with a job running still closes by its deadline and exits on its own', async () => {
    const own = await startRedisServer();
    try {
      const tuning = { connection: { ...own.connection, commandTimeout: 300 }, prefix: 'paused' };
      const worker = await node({ driver: { ...tuning, role: 'both' }, workers: 1, shutdownTimeout: 300 });
      await worker.submit('task', { hold: true }, { id: 'caught' });
      await worker.event('started', 'caught');
      own.pause();
      expect(await worker.close()).toEqual({ code: 0, signal: null });
      expect(worker.events('abandoned').map((e) => e.id)).toEqual(['caught']);
    } finally {
      own.resume();
      await own.stop();
    }
  });
});
