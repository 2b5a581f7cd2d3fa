import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

/** A value every `instanceof` check throws on. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('engine: handler failures', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['a synchronous throw', () => { throw new Error('sync boom'); }, 'sync boom'],
    ['a rejected promise', () => Promise.reject(new Error('async boom')), 'async boom'],
    ['a thrown string', () => { throw 'just a string'; }, 'just a string'],
    ['a thrown null', () => { throw null; }, 'Handler threw null'],
    ['a thrown undefined', () => { throw undefined; }, 'Handler threw undefined'],
    ['a rejection with a plain object', () => Promise.reject({ message: 'plain object' }), 'plain object'],
    ['a thrown number', () => { throw 42; }, 'Handler threw 42'],
    [
      'an object whose toString throws',
      () => { throw { toString() { throw new Error('nope'); } }; },
      'Handler threw a value that cannot be described',
    ],
    ['a thrown revoked Proxy (instanceof throws)', () => { throw revokedProxy(); }, 'Handler threw a value that cannot be described'],
    ['a rejection with a revoked Proxy', () => Promise.reject(revokedProxy()), 'Handler threw a value that cannot be described'],
  ];

  it.each(cases)('fails the attempt on %s, with a readable error, and keeps the other workers going', async (_name, failing, message) => {
    const done: number[] = [];
    const { engine, submit, events } = createEngine({
      workers: 2,
      maxRetries: 0,
      handlers: { bad: failing, good: (job: Job<number>) => void done.push(job.payload) },
    });
    engine.start();
    await submit('bad');
    for (let i = 0; i < 3; i++) await submit('good', i);
    await engine.onIdle();
    expect(done).toEqual([0, 1, 2]);
    const failed = events.find((event) => event.kind === 'failed')!;
    expect(failed.error).toBe(message);
    expect(failed.job.error).toBe(message);
  });

  it('survives a long run of synchronously throwing handlers without deep recursion', async () => {
    const { engine, submit, monitor } = createEngine({
      workers: 1,
      queueSize: 20_000,
      maxRetries: 0,
      handlers: { bad: () => { throw new Error('sync'); } },
    });
    for (let i = 0; i < 20_000; i++) await submit('bad');
    engine.start();
    await engine.onIdle();
    expect(monitor.counters.failed).toBe(20_000);
  });

  it('ignores a rejection that arrives after the timeout already failed the attempt', async () => {
    const late = deferred();
    const { engine, clock, submit, events } = createEngine({ timeout: 10, maxRetries: 0, handlers: { t: () => late.promise } });
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(20);
    late.reject(new Error('too late'));
    await flush();
    expect(events.map((event) => event.kind)).toEqual(['submitted', 'started', 'failed']);
    expect(events.at(-1)!.error).toBe('Attempt timed out after 10 ms');
    expect(engine.counts().active).toBe(0);
  });

  it('logs retries at warn and permanent failures at error, by id, never the payload', async () => {
    const { engine, clock, submit, logger } = createEngine({
      maxRetries: 1,
      backoff: { delay: 5 },
      handlers: { t: () => { throw new Error('kaput'); } },
    });
    engine.start();
    const job = await submit('t', { secret: 'hunter2' });
    await flush();
    await clock.advance(10);
    expect(logger.at('warn')).toEqual([`Job ${job.id} (t) attempt 1 of 2 failed: kaput. Retrying in 5 ms.`]);
    expect(logger.at('error')).toEqual([`Job ${job.id} (t) failed after 2 attempt(s): kaput`]);
    expect(logger.lines.some((line) => line.message.includes('hunter2'))).toBe(false);
  });
});

describe('engine: lifecycle logs', () => {
  it("logs each job's lifecycle at debug when debug logging is on, without the payload", async () => {
    const { engine, submit, logger, monitor } = createEngine({ handlers: { t: () => undefined } });
    monitor.setDebug(true);
    engine.start();
    const job = await submit('t', { secret: 'hunter2' });
    await engine.onIdle();
    expect(logger.at('debug')).toEqual([
      `Job ${job.id} (t) submitted`,
      `Job ${job.id} (t) started, attempt 1`,
      expect.stringMatching(new RegExp(`^Job ${job.id} \\(t\\) completed in \\d+ ms$`)),
    ]);
    expect(logger.lines.some((line) => line.message.includes('hunter2'))).toBe(false);
  });

  it('builds no debug line while debug logging is off', async () => {
    const { engine, submit, logger } = createEngine({ handlers: { t: () => undefined } });
    engine.start();
    await submit('t');
    await engine.onIdle();
    expect(logger.lines).toEqual([]);
  });
});

describe('engine: ids and idempotency', () => {
  it('returns the same job, enqueues nothing and emits nothing when an id is submitted again while it is pending', async () => {
    const gate = deferred();
    let calls = 0;
    const { engine, submit, events } = createEngine({
      workers: 1,
      handlers: {
        t: () => {
          calls++;
          return gate.promise;
        },
      },
    });
    engine.start();
    const first = await submit('t', { n: 1 }, { id: 'order-42' });
    const again = await submit('t', { n: 2 }, { id: 'order-42' });
    expect(again).toBe(first);
    expect(first.id).toBe('order-42');
    await flush();
    // Running now: still the same job.
    expect((await submit('t', {}, { id: 'order-42' })).payload).toEqual({ n: 1 });
    expect(events.filter((event) => event.kind === 'submitted')).toHaveLength(1);
    gate.resolve();
    await engine.onIdle();
    // Finished: the id may be used again.
    const reused = await submit('t', { n: 3 }, { id: 'order-42' });
    expect(reused).not.toBe(first);
    await engine.onIdle();
    expect(calls).toBe(2);
  });

  it('makes ids unique without a clock: a per-process prefix and a counter, never all digits', async () => {
    const { submit } = createEngine({ queueSize: 1000, handlers: { t: () => undefined } });
    const ids = await Promise.all(Array.from({ length: 500 }, () => submit('t').then((job) => job.id)));
    expect(new Set(ids).size).toBe(500);
    const prefixes = new Set(ids.map((id) => id.slice(0, id.lastIndexOf('-'))));
    expect(prefixes.size).toBe(1);
    expect(ids.every((id) => /^[A-Za-z0-9_.-]{1,128}$/.test(id) && !/^[0-9]+$/.test(id))).toBe(true);
    const other = createEngine({ handlers: { t: () => undefined } });
    const otherId = (await other.submit('t')).id;
    expect(prefixes.has(otherId.slice(0, otherId.lastIndexOf('-')))).toBe(false);
  });

  it('gives submit, events and the handler the same frozen snapshot for a first attempt, with the payload by reference', async () => {
    const payload = { to: 'a@example.com' };
    let seen: Job | undefined;
    const { engine, submit, events } = createEngine({ handlers: { t: (job: Job) => void (seen = job) } });
    engine.start();
    const job = await submit('t', payload, { priority: 3 });
    await engine.onIdle();
    expect(seen).toBe(job);
    expect(job.payload).toBe(payload);
    expect(job).toMatchObject({ type: 't', priority: 3, attempts: 0, maxRetries: 3 });
    expect(job.createdAt).toBeInstanceOf(Date);
    expect(events.map((event) => event.job)).toEqual([job, job, job]);
    expect(() => {
      (job as { priority: number }).priority = 9;
    }).toThrow(TypeError);
  });
});
