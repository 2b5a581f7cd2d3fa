import { expect, it } from '@jest/globals';
import { type ConnectionOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  InvalidJobError,
  JobsConfigurationError,
  QueueFullError,
  UnknownJobTypeError,
  UnrecoverableJobError,
} from '../../../lib/index.js';
import { bullmqDriver } from '../../../lib/bullmq/index.js';
import type { JobsDriver } from '../../../lib/engine/jobs-driver.js';
import { JOBS_DRIVER } from '../../../lib/jobs.constants.js';
import { type BullmqApp, nextEvent, until, useSharedRedis } from '../../support/bullmq-app.js';
import { describeWithRedis } from '../../support/drivers.js';

describeWithRedis('BullMQ driver on real Redis', () => {
  const suite = useSharedRedis();

  async function start(options: { workers?: number; queueSize?: number } = {}, driver: Record<string, unknown> = {}) {
    const prefix = suite.newPrefix('driver');
    const app = await suite.start(
      { workers: options.workers ?? 4, queueSize: options.queueSize ?? 100, shutdownTimeout: 2000 },
      { prefix, ...driver },
    );
    return { ...app, prefix };
  }

  it('runs a submitted job once and reports it', async () => {
    const { jobs, work, events } = await start();
    const job = await jobs.submit('plain', { to: 'a@b.c', when: new Date(0) });
    await jobs.onIdle();
    expect(work.ran).toEqual([{ id: job.id, payload: { to: 'a@b.c', when: '1970-01-01T00:00:00.000Z' }, attempts: 0 }]);
    expect(events.map((e) => e.kind)).toEqual(['submitted', 'started', 'completed']);
    expect(jobs.metrics()).toMatchObject({ processed: 1, failed: 0, active: 0, workers: 4, queueSize: 100 });
  });

  it('runs higher priorities first, and equal priorities in submission order', async () => {
    const { jobs, work, events } = await start({ workers: 1 });
    const blocker = await jobs.submit('held', null, { id: 'blocker' });
    await nextEvent({ jobs, events } as BullmqApp, 'started', blocker.id);
    for (const [id, priority] of [['low', -5], ['mid1', 0], ['high', 1_000_000], ['mid2', 0], ['lowest', -1_000_000]] as const) {
      await jobs.submit('held', null, { id, priority });
    }
    for (const id of ['blocker', 'high', 'mid1', 'mid2', 'low', 'lowest']) work.gate(id).resolve();
    await jobs.onIdle();
    expect(work.ran.map((r) => r.id)).toEqual(['blocker', 'high', 'mid1', 'mid2', 'low', 'lowest']);
  });

  it('retries with backoff until it succeeds, then reports the attempts', async () => {
    const { jobs, work, events } = await start();
    work.failures.set('f1', [new Error('first'), 'second']);
    await jobs.submit('flaky', {}, { id: 'f1' });
    await jobs.onIdle();
    expect(work.ran.map((r) => r.attempts)).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.kind === 'retrying').map((e) => [e.job.attempts, e.error])).toEqual([
      [0, 'first'],
      [1, 'second'],
    ]);
    expect(jobs.metrics()).toMatchObject({ processed: 1, retried: 2, failed: 0 });
  });

  it('fails a job for good after maxRetries, and at once on UnrecoverableJobError', async () => {
    const { jobs, work, events } = await start();
    work.failures.set('spent', [new Error('a'), new Error('b'), new Error('c')]);
    work.failures.set('fatal', [new UnrecoverableJobError('no way')]);
    await jobs.submit('flaky', {}, { id: 'spent' });
    await jobs.submit('flaky', {}, { id: 'fatal' });
    await jobs.onIdle();
    const failed = events.filter((e) => e.kind === 'failed');
    expect(failed.map((e) => [e.job.id, e.job.attempts, e.error]).sort()).toEqual([
      ['fatal', 0, 'no way'],
      ['spent', 2, 'c'],
    ]);
    expect(jobs.metrics()).toMatchObject({ failed: 2, retried: 2 });
  });

  it('treats an id as an idempotency key while the job lives, and frees it once finished', async () => {
    const { jobs, work, events } = await start();
    const first = await jobs.submit('held', { n: 1 }, { id: 'once' });
    const again = await jobs.submit('held', { n: 2 }, { id: 'once' });
    expect(again).toMatchObject({ id: 'once', payload: { n: 1 } });
    expect(events.filter((e) => e.kind === 'submitted')).toHaveLength(1);
    work.gate('once').resolve();
    await jobs.onIdle();
    work.gates.delete('once');
    const reused = await jobs.submit('held', { n: 3 }, { id: 'once' });
    work.gate('once').resolve();
    await jobs.onIdle();
    expect(first.id).toBe('once');
    expect(reused.payload).toEqual({ n: 3 });
    expect(work.ran.map((r) => r.payload)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('holds a delayed job back until its delay has passed', async () => {
    const { jobs, events } = await start();
    const job = await jobs.submit('plain', null, { delay: 200 });
    await jobs.onIdle();
    const started = events.find((e) => e.kind === 'started')!;
    expect(started.job.id).toBe(job.id);
    const completedAt = Date.now();
    expect(completedAt - job.createdAt.getTime()).toBeGreaterThanOrEqual(200);
  });

  it('refuses a submit at queueSize (waiting + delayed) and counts the refusal', async () => {
    const { jobs, work, events } = await start({ workers: 1, queueSize: 2 });
    await jobs.submit('held', null, { id: 'running' });
    await nextEvent({ jobs, events } as BullmqApp, 'started', 'running');
    await jobs.submit('held', null, { id: 'w1' });
    await jobs.submit('held', null, { id: 'w2', delay: 60_000 });
    await expect(jobs.submit('held', null, { id: 'w3' })).rejects.toBeInstanceOf(QueueFullError);
    expect(jobs.metrics().rejected).toBe(1);
    work.gate('running').resolve();
    await jobs.onSizeLessThan(2);
    await jobs.submit('held', null, { id: 'w4' });
  });

  it('rejects payloads JSON cannot carry, or too large, and writes nothing', async () => {
    const { jobs, prefix } = await start({}, { maxPayloadBytes: 64 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad: unknown[] = [10n, cycle, { f() {} }, undefined, { text: 'x'.repeat(100) }, { s: Symbol('s') }];
    for (const payload of bad) {
      await expect(jobs.submit('plain', payload)).rejects.toBeInstanceOf(InvalidJobError);
    }
    await expect(jobs.submit('plain', { big: 1n })).rejects.toThrow(/BigInt/);
    await expect(jobs.submit('plain', { text: 'x'.repeat(100) })).rejects.toThrow(/over maxPayloadBytes 64/);
    expect(jobs.metrics().rejected).toBe(bad.length + 2);
    const client = new Redis(suite.redis.connection);
    const keys = await client.keys(`${prefix}:*`);
    client.disconnect();
    // Only the Workers' bookkeeping keys: no job, no list entry, no event.
    expect(keys.filter((key) => !/:(meta|stalled-check)$/.test(key))).toEqual([]);
  });

  it('refreshes the waiting and delayed counts of metrics() from Redis in the background', async () => {
    const app = await start({ workers: 1 });
    const { jobs, work, events } = app;
    await jobs.submit('held', null, { id: 'busy' });
    await nextEvent({ jobs, events } as BullmqApp, 'started', 'busy');
    await jobs.submit('held', null, { id: 'queued' });
    await jobs.submit('held', null, { id: 'later', delay: 60_000 });
    const metrics = jobs.metrics();
    expect(typeof metrics.waiting).toBe('number');
    await until(() => jobs.metrics().waiting === 1 && jobs.metrics().delayed === 1);
    expect(jobs.metrics()).toMatchObject({ waiting: 1, delayed: 1, active: 1 });
    // The same depths per type, as the Prometheus gauges read them.
    const driver = app.app.get<JobsDriver>(JOBS_DRIVER);
    expect(driver.countsByType().find((counts) => counts.type === 'held')).toEqual({ type: 'held', waiting: 1, delayed: 1, active: 1, rateLimited: 0 });
    work.gate('busy').resolve();
    work.gate('queued').resolve();
    await until(() => jobs.metrics().processed === 2 && jobs.metrics().waiting === 0);
    expect(jobs.metrics()).toMatchObject({ waiting: 0, delayed: 1, processed: 2 });
  });

  it('rejects an unknown job type', async () => {
    const { jobs } = await start();
    await expect(jobs.submit('nope', {})).rejects.toBeInstanceOf(UnknownJobTypeError);
  });

  it('reports the broker as up in health()', async () => {
    const { app } = await start();
    const driver = app.get<{ health(): unknown }>(JOBS_DRIVER);
    expect(driver.health()).toMatchObject({ state: 'running', broker: { status: 'up', role: 'both' } });
  });

  it('fails a malformed job from Redis for good instead of crashing, and never lets its keys pollute prototypes', async () => {
    const prefix = suite.newPrefix('raw');
    const plain = new Queue('plain', { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    await plain.add('plain', { no: 'envelope' }, { jobId: 'shape', removeOnFail: true });
    await plain.add('plain', { p: 0 }, { jobId: 'notjson', removeOnFail: true });
    await plain.add('plain', { p: 0 }, { jobId: 'proto', removeOnComplete: true });
    const client = new Redis(suite.redis.connection);
    await client.hset(`${prefix}:plain:notjson`, 'data', '{not json');
    await client.hset(`${prefix}:plain:proto`, 'data', '{"p":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}');
    await plain.close();
    client.disconnect();

    const app = await suite.start({ workers: 2, queueSize: 10, shutdownTimeout: 2000 }, { prefix });
    await app.jobs.onIdle();
    const failed = app.events.filter((e) => e.kind === 'failed').map((e) => [e.job.id, e.error]).sort();
    expect(failed).toEqual([
      ['notjson', expect.stringMatching(/malformed \(its data is not JSON/)],
      ['shape', expect.stringMatching(/malformed \(its data has no payload field "p"\)/)],
    ]);
    const proto = app.work.ran.find((r) => r.id === 'proto')!;
    expect(Object.hasOwn(proto.payload, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(proto.payload)).toBe(Object.prototype);
  });

  it('fails a job named other than its queue\'s type for good after one attempt, without calling the handler', async () => {
    const prefix = suite.newPrefix('foreign');
    const app = await suite.start({ workers: 2, queueSize: 10, shutdownTimeout: 2000 }, { prefix });
    // Another producer writes into our queue under another name, with a well-formed envelope and retries to spare.
    const raw = new Queue(encodeURIComponent('plain'), { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    await raw.add('other-name', { p: { n: 1 } }, { jobId: 'stranger', attempts: 3, removeOnFail: true });
    await raw.close();
    await app.jobs.onIdle();
    expect(app.events.filter((e) => e.job.id === 'stranger').map((e) => e.kind)).toEqual(['failed']);
    const failed = app.events.find((e) => e.job.id === 'stranger')!;
    expect(failed.job).toMatchObject({ id: 'stranger', type: 'plain', attempts: 0 });
    expect(failed.error).toMatch(/malformed \(its name is "other-name", not its queue's job type "plain"\)/);
    expect(app.work.ran).toEqual([]);
    expect(app.jobs.metrics()).toMatchObject({ failed: 1, retried: 0, processed: 0 });
  });

  it('writes ordinary BullMQ jobs: the data is the payload, retention rides as removeOnComplete / removeOnFail', async () => {
    const { jobs, prefix } = await start();
    const reader = new Queue('plain', { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    await jobs.submit('plain', { to: 'later@b.c' }, { id: 'stored', delay: 600_000, timeout: 1234 });
    const stored = (await reader.getJob('stored'))!;
    await reader.close();
    expect(stored.name).toBe('plain');
    expect(stored.data).toEqual({ to: 'later@b.c' });
    expect(stored.opts).toMatchObject({ removeOnComplete: true, removeOnFail: { count: 1000, age: 604_800 }, nestjsJobs: { t: 1234 } });
    expect(await jobs.getJob('stored')).toMatchObject({ state: 'delayed', payload: { to: 'later@b.c' } });
  });

  it('pages waiting jobs in run order: jobs added without a priority by other tools first, then by priority', async () => {
    const { jobs, prefix } = await start({}, { role: 'producer' });
    await jobs.submit('plain', null, { id: 'ours-low', priority: -1 });
    await jobs.submit('plain', null, { id: 'ours-high', priority: 3 });
    const raw = new Queue('plain', { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    for (const id of ['raw-1', 'raw-2', 'raw-3']) await raw.add('plain', { p: id }, { jobId: id });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await jobs.listJobs({ state: 'waiting', limit: 2, cursor });
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.next;
      // One added between pages: behind everything listed so far, so it comes once or not at all.
      if (seen.length === 2) await raw.add('plain', { p: 'raw-4' }, { jobId: 'raw-4' });
    } while (cursor !== undefined);
    await raw.close();
    expect(seen).toEqual(['raw-1', 'raw-2', 'raw-3', 'raw-4', 'ours-high', 'ours-low']);
    expect((await jobs.jobCounts()).plain).toMatchObject({ waiting: 6 });
  });

  it('still runs, keeps, lists and retries jobs written in the old envelope format', async () => {
    const { jobs, work, prefix } = await start();
    work.failures.set('legacy', [new Error('old and failing')]);
    const raw = new Queue('flaky', { connection: { ...suite.redis.connection } as ConnectionOptions, prefix });
    await raw.add('flaky', { p: { to: 'old@b.c' }, t: 5000 }, { jobId: 'legacy', priority: 1, attempts: 1, removeOnFail: { count: 10 } });
    await raw.close();
    await until(() => work.ran.some((r) => r.id === 'legacy'));
    await jobs.onIdle();
    expect(await jobs.getJob('legacy')).toMatchObject({ state: 'failed', payload: { to: 'old@b.c' }, error: 'old and failing', attemptsMade: 1 });
    expect((await jobs.listJobs({ state: 'failed', type: 'flaky' })).jobs.map((job) => job.id)).toEqual(['legacy']);
    await jobs.retryJob('legacy');
    await until(() => work.ran.filter((r) => r.id === 'legacy').length === 2);
    await jobs.onIdle();
    expect(work.ran.filter((r) => r.id === 'legacy').map((r) => [r.payload, r.attempts])).toEqual([
      [{ to: 'old@b.c' }, 0],
      [{ to: 'old@b.c' }, 0],
    ]);
  });

  it('checks its options, naming the option and the value', () => {
    expect(() => bullmqDriver({} as never)).toThrow(JobsConfigurationError);
    expect(() => bullmqDriver({} as never)).toThrow(/option "connection" is required/);
    expect(() => bullmqDriver({ connection: { port: 0 } })).toThrow(/"connection.port" must be an integer from 1 to 65535, got 0/);
    expect(() => bullmqDriver({ connection: {}, role: 'boss' as never })).toThrow(/"role" must be "both", "producer" or "worker", got "boss"/);
    expect(() => bullmqDriver({ connection: {}, lockDuration: NaN })).toThrow(/"lockDuration" must be an integer from 1 to 2147483647, got NaN/);
    expect(() => bullmqDriver({ connection: {}, stalledInterval: 2 ** 31 })).toThrow(/"stalledInterval" must be an integer from 1 to 2147483647, got 2147483648/);
    expect(() => bullmqDriver({ connection: {}, prefix: '' })).toThrow(/"prefix"/);
    expect(() => bullmqDriver({ connection: {}, maxPayloadBytes: 1.5 })).toThrow(/"maxPayloadBytes"/);
    expect(() => bullmqDriver({ connection: 'redis://x' as never })).toThrow(/"connection" must be an object/);
    expect(() => bullmqDriver({ connection: {}, colour: 1 } as never)).toThrow(/unknown option "colour"/);
  });
});
