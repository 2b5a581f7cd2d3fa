import { describe, expect, it } from '@jest/globals';
import { QueueFullError, UnrecoverableJobError } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

const fail = () => {
  throw new UnrecoverableJobError('nope');
};

describe('engine: the in-memory job store', () => {
  it('ages failed records out on the fake clock without a timer per record, counting from finishedAt', async () => {
    const { engine, kernel, clock, submit } = createEngine({ retention: { failed: { age: 1000 } }, handlers: { t: fail } });
    engine.start();
    await submit('t', {}, { id: 'first' });
    await flush();
    const timers = clock.pendingTimers;
    await clock.advance(600);
    await submit('t', {}, { id: 'second' });
    await flush();
    // Two kept records, no more timers than with one (at most the attempts' deadline timer).
    expect(clock.pendingTimers).toBeLessThanOrEqual(Math.max(timers, 1));
    await clock.advance(399);
    expect((await kernel.listJobs({ state: 'failed' })).jobs.map((job) => job.id)).toEqual(['second', 'first']);
    await clock.advance(1);
    expect(await kernel.getJob('first')).toBeUndefined();
    expect((await kernel.jobCounts()).t.failed).toBe(1);
    await clock.advance(600);
    expect((await kernel.listJobs({ state: 'failed' })).jobs).toEqual([]);
  });

  it('merges retention field by field: a handler count over the module age over the defaults', async () => {
    const { engine, kernel, clock, submit } = createEngine({
      retention: { failed: { age: 5000 } },
      handlers: { t: { fn: fail, options: { retention: { failed: { count: 1 } } } }, u: fail },
    });
    engine.start();
    for (const id of ['t1', 't2', 'u1', 'u2']) await submit(id[0], {}, { id });
    await flush();
    expect((await kernel.listJobs({ state: 'failed' })).jobs.map((job) => job.id)).toEqual(['u2', 'u1', 't2']);
    await clock.advance(5000);
    expect(await kernel.jobCounts()).toMatchObject({ t: { failed: 0 }, u: { failed: 0 } });
  });

  it('finds, lists and removes jobs with generated ids, including ones parked behind their type\'s concurrency', async () => {
    const hold = deferred();
    const { engine, kernel, submit, kindsOf } = createEngine({
      workers: 2,
      handlers: { t: { fn: () => hold.promise, options: { concurrency: 1 } } },
    });
    engine.start();
    const running = await submit('t');
    const parked = await submit('t');
    await flush();
    expect(await kernel.getJob(running.id)).toMatchObject({ state: 'active', attemptsMade: 1 });
    expect(await kernel.getJob(parked.id)).toMatchObject({ state: 'waiting' });
    expect((await kernel.listJobs({ state: 'waiting' })).jobs.map((job) => job.id)).toEqual([parked.id]);
    expect(await kernel.removeJob(parked.id)).toBe(true);
    expect(kindsOf(parked.id)).toEqual(['submitted', 'removed']);
    expect(engine.counts()).toMatchObject({ waiting: 0, active: 1 });
    hold.resolve();
    await kernel.onIdle();
  });

  it('retryJob refuses at the queueSize bound, and retryJobs retries oldest first while there is room', async () => {
    const hold = deferred();
    const { engine, kernel, submit } = createEngine({
      workers: 1,
      queueSize: 2,
      handlers: { bad: fail, held: () => hold.promise },
    });
    engine.start();
    for (const id of ['f1', 'f2', 'f3']) await submit('bad', {}, { id });
    await flush();
    await submit('held', {}, { id: 'runs' });
    await flush();
    await submit('held', {}, { id: 'w1' });
    await expect(kernel.retryJob('f1')).resolves.toMatchObject({ id: 'f1', state: 'waiting' });
    await expect(kernel.retryJob('f2')).rejects.toThrow(QueueFullError);
    await kernel.removeJob('f1');
    expect(await kernel.retryJobs()).toBe(1);
    expect((await kernel.jobCounts()).bad).toMatchObject({ waiting: 1, failed: 1 });
    expect(await kernel.getJob('f2')).toMatchObject({ state: 'waiting' });
    hold.resolve();
    await kernel.onIdle();
  });

  it('keeps no record and allocates nothing per job for a type whose retention keeps none', async () => {
    const { engine, kernel, submit } = createEngine({
      retention: { completed: { count: 0 }, failed: { count: 0 } },
      handlers: { ok: () => 'done', bad: fail },
    });
    engine.start();
    await submit('ok', {}, { id: 'a' });
    await submit('bad', {}, { id: 'b' });
    await flush();
    expect(await kernel.getJob('a')).toBeUndefined();
    expect(await kernel.getJob('b')).toBeUndefined();
    expect(await kernel.jobCounts()).toEqual({
      ok: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 },
      bad: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 },
    });
  });

  it('pages waiting jobs of one type in run order across the ready queue and parked jobs, each listed once despite inserts', async () => {
    const hold = deferred();
    const { engine, kernel, submit } = createEngine({
      workers: 3,
      handlers: { a: { fn: () => hold.promise, options: { concurrency: 1 } }, b: () => hold.promise },
    });
    engine.start();
    await submit('a', {}, { id: 'a-running' });
    await flush();
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const priority = i % 3;
      await submit('a', {}, { id: `a${i}`, priority });
      await submit('b', {}, { id: `b${i}`, priority });
    }
    // a-running holds a's concurrency: a's jobs get parked as the pump meets them; b's run.
    await flush();
    for (const priority of [2, 1, 0]) for (let i = priority; i < 12; i += 3) expected.push(`a${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    let inserted = 0;
    do {
      const page = await kernel.listJobs({ state: 'waiting', type: 'a', limit: 5, cursor });
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.next;
      // Jobs arriving between pages, before and after the position: listed at most once, never twice.
      await submit('a', {}, { id: `late-high-${inserted}`, priority: 5 });
      await submit('a', {}, { id: `late-low-${inserted++}`, priority: -5 });
    } while (cursor !== undefined);
    expect(seen.filter((id) => !id.startsWith('late-'))).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id.startsWith('late-high'))).toEqual([]);
    hold.resolve();
  });

  it('pages delayed jobs by due time, ties in the order they were delayed', async () => {
    const { kernel, submit } = createEngine({ handlers: { t: () => undefined } });
    for (const [id, delay] of [['d3', 300], ['d1', 100], ['d2a', 200], ['d2b', 200], ['d4', 400]] as const) await submit('t', {}, { id, delay });
    const first = await kernel.listJobs({ state: 'delayed', limit: 2 });
    await submit('t', {}, { id: 'd0', delay: 50 });
    const second = await kernel.listJobs({ state: 'delayed', limit: 2, cursor: first.next });
    const third = await kernel.listJobs({ state: 'delayed', limit: 2, cursor: second.next });
    expect([first, second, third].map((page) => page.jobs.map((job) => job.id))).toEqual([['d1', 'd2a'], ['d2b', 'd3'], ['d4']]);
    expect(third.next).toBeUndefined();
  });
});
