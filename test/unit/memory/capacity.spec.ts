import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../lib/index.js';
import { QueueFullError } from '../../../lib/index.js';
import { type Deferred, deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

describe('engine: bound, workers and per-type concurrency', () => {
  it('refuses a submit at the queueSize bound, counting waiting and delayed jobs, and leaves no trace', async () => {
    const { engine, submit, events, monitor } = createEngine({ workers: 1, queueSize: 2, handlers: { t: () => undefined } });
    await submit('t', {}, { delay: 1000 });
    await submit('t');
    await expect(submit('t')).rejects.toThrow(QueueFullError);
    await expect(submit('t')).rejects.toThrow('The queue is full: 2 jobs are waiting or delayed (queueSize 2)');
    expect(engine.counts()).toMatchObject({ waiting: 1, delayed: 1 });
    expect(events.filter((event) => event.kind === 'submitted')).toHaveLength(2);
    expect(monitor.counters.rejected).toBe(2);
  });

  it('never refuses the retry of a running job: the count may pass the bound by at most `workers`', async () => {
    const failA = deferred();
    const holdB = deferred();
    const { engine, submit, kindsOf } = createEngine({
      workers: 2,
      queueSize: 2,
      backoff: { delay: 50 },
      handlers: {
        a: async () => {
          await failA.promise;
          throw new Error('fail');
        },
        b: { fn: () => holdB.promise, options: { concurrency: 1 } },
      },
    });
    engine.start();
    const a = await submit('a');
    await submit('b');
    await flush();
    // Both workers busy; two b jobs wait (b is at its concurrency): the queue is full.
    await submit('b');
    await submit('b');
    await expect(submit('b')).rejects.toThrow(QueueFullError);
    failA.resolve();
    await flush();
    // The retry of a was accepted although the queue was full: 2 waiting + 1 delayed.
    expect(kindsOf(a.id)).toEqual(['submitted', 'started', 'retrying']);
    expect(engine.counts()).toMatchObject({ waiting: 2, delayed: 1 });
    await expect(submit('b')).rejects.toThrow(QueueFullError);
    holdB.resolve();
  });

  it('runs at most `workers` attempts at once', async () => {
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const { engine, submit } = createEngine({
      workers: 3,
      handlers: {
        t: async () => {
          peak = Math.max(peak, ++running);
          await gate.promise;
          running--;
        },
      },
    });
    engine.start();
    for (let i = 0; i < 10; i++) await submit('t');
    await flush();
    expect(engine.counts()).toMatchObject({ active: 3, waiting: 7 });
    gate.resolve();
    await engine.onIdle();
    expect(peak).toBe(3);
  });

  it("keeps a type to its concurrency without holding up other types behind it (no head-of-line blocking)", async () => {
    const gates = new Map<string, Deferred>();
    const started: string[] = [];
    const hold = async (job: Job<{ name: string }>) => {
      started.push(job.payload.name);
      const gate = deferred();
      gates.set(job.payload.name, gate);
      await gate.promise;
    };
    const { engine, submit } = createEngine({
      workers: 3,
      handlers: { slow: { fn: hold, options: { concurrency: 1 } }, fast: hold },
    });
    await submit('slow', { name: 'slow-1' });
    await submit('slow', { name: 'slow-2' }, { priority: 5 });
    await submit('slow', { name: 'slow-3' });
    await submit('fast', { name: 'fast-1' });
    await submit('fast', { name: 'fast-2' });
    engine.start();
    await flush();
    // slow-2 (priority 5) runs; slow-1 and slow-3 wait; both fast jobs start.
    expect(started).toEqual(['slow-2', 'fast-1', 'fast-2']);
    expect(engine.counts()).toMatchObject({ active: 3, waiting: 2 });
    gates.get('fast-1')!.resolve();
    await flush();
    expect(started).toHaveLength(3);
    gates.get('slow-2')!.resolve();
    await flush();
    expect(started).toEqual(['slow-2', 'fast-1', 'fast-2', 'slow-1']);
    gates.get('slow-1')!.resolve();
    await flush();
    expect(started.at(-1)).toBe('slow-3');
    for (const gate of gates.values()) gate.resolve();
    await engine.onIdle();
  });

  it('counts waiting, delayed and running jobs per type, parked and retrying ones included', async () => {
    const gate = deferred();
    const { engine, clock, submit } = createEngine({
      workers: 2,
      backoff: { delay: 100 },
      handlers: {
        a: { fn: () => gate.promise, options: { concurrency: 1 } },
        b: () => Promise.reject(new Error('no')),
        idle: () => undefined,
      },
    });
    const byType = () => Object.fromEntries(engine.countsByType().map(({ type, ...counts }) => [type, counts]));
    await submit('a');
    await submit('a');
    await submit('b', {}, { delay: 50 });
    expect(byType()).toEqual({
      a: { waiting: 2, delayed: 0, active: 0, rateLimited: 0 },
      b: { waiting: 0, delayed: 1, active: 0, rateLimited: 0 },
      idle: { waiting: 0, delayed: 0, active: 0, rateLimited: 0 },
    });
    engine.start();
    await flush();
    // One a runs, the other is parked at a's concurrency: still waiting.
    expect(byType().a).toEqual({ waiting: 1, delayed: 0, active: 1, rateLimited: 0 });
    await clock.advance(50);
    // b came due, ran, failed: its retry is delayed.
    expect(byType().b).toEqual({ waiting: 0, delayed: 1, active: 0, rateLimited: 0 });
    const totals = engine.counts();
    const sum = (key: 'waiting' | 'delayed' | 'active') => engine.countsByType().reduce((n, counts) => n + counts[key], 0);
    expect({ waiting: sum('waiting'), delayed: sum('delayed'), active: sum('active') }).toEqual({
      waiting: totals.waiting,
      delayed: totals.delayed,
      active: totals.active,
    });
    gate.resolve();
    await engine.close();
    expect(byType()).toEqual({
      a: { waiting: 0, delayed: 0, active: 0, rateLimited: 0 },
      b: { waiting: 0, delayed: 0, active: 0, rateLimited: 0 },
      idle: { waiting: 0, delayed: 0, active: 0, rateLimited: 0 },
    });
  });

  it('never calls a handler synchronously inside submit', async () => {
    let called = false;
    const { engine, submit } = createEngine({ handlers: { t: () => void (called = true) } });
    engine.start();
    const pending = submit('t');
    expect(called).toBe(false);
    await pending;
    await engine.onIdle();
    expect(called).toBe(true);
  });

  it('holds jobs submitted before start and runs them once started', async () => {
    const ran: number[] = [];
    const { engine, submit } = createEngine({ handlers: { t: (job: Job<number>) => void ran.push(job.payload) } });
    await submit('t', 1);
    await submit('t', 2);
    await flush();
    expect(ran).toEqual([]);
    engine.start();
    await engine.onIdle();
    expect(ran).toEqual([1, 2]);
  });

  it('resolves onSizeLessThan once waiting + delayed drops below the limit', async () => {
    const gate = deferred();
    const { engine, submit } = createEngine({ workers: 1, handlers: { t: () => gate.promise } });
    engine.start();
    for (let i = 0; i < 4; i++) await submit('t');
    await flush();
    expect(engine.counts().waiting).toBe(3);
    let roomy = false;
    void engine.onSizeLessThan(2).then(() => (roomy = true));
    await expect(engine.onSizeLessThan(4)).resolves.toBeUndefined();
    await flush();
    expect(roomy).toBe(false);
    gate.resolve();
    await engine.onIdle();
    expect(roomy).toBe(true);
  });

  it('resolves onIdle only when nothing waits, is delayed or runs', async () => {
    const gate = deferred();
    const { engine, clock, submit } = createEngine({ workers: 1, handlers: { t: () => gate.promise } });
    engine.start();
    let idle = false;
    await submit('t');
    await submit('t', {}, { delay: 500 });
    void engine.onIdle().then(() => (idle = true));
    gate.resolve();
    await flush();
    expect(idle).toBe(false);
    await clock.advance(500);
    expect(idle).toBe(true);
  });
});

describe('engine: worker slots', () => {
  it('allocates worker slots as attempts need them, not up front: many engines of 100 000 workers cost little', () => {
    const before = process.memoryUsage().heapUsed;
    // Up front, each engine of 100 000 workers took over 10 MB of slot arrays and callbacks.
    const engines = Array.from({ length: 10 }, () => createEngine({ workers: 100_000, handlers: { t: () => undefined } }));
    const grown = process.memoryUsage().heapUsed - before;
    expect(engines).toHaveLength(10);
    expect(grown).toBeLessThan(30 * 1024 * 1024);
  });

  it('runs as many attempts at once as it has workers, reusing freed slots', async () => {
    const gates: Array<() => void> = [];
    const { engine, submit, kernel } = createEngine({
      workers: 3,
      queueSize: 10,
      handlers: { t: () => new Promise<void>((resolve) => gates.push(resolve)) },
    });
    engine.start();
    for (let i = 0; i < 5; i++) await submit('t');
    await flush();
    expect(kernel.metrics()).toMatchObject({ active: 3, waiting: 2 });
    gates.shift()!();
    await flush();
    expect(kernel.metrics()).toMatchObject({ active: 3, waiting: 1, processed: 1 });
    while (gates.length > 0) {
      gates.shift()!();
      await flush();
    }
    await engine.onIdle();
    expect(kernel.metrics()).toMatchObject({ active: 0, waiting: 0, processed: 5 });
  });
});
