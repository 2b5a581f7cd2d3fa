import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Job } from '../../../lib/index.js';
import { type Deferred, deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

describe('engine: priority and order', () => {
  it('runs higher priorities first and equal priorities in submission order', async () => {
    const order: string[] = [];
    const { engine, submit } = createEngine({
      workers: 1,
      handlers: { t: (job: Job<{ name: string }>) => void order.push(job.payload.name) },
    });
    await submit('t', { name: 'low-1' }, { priority: -5 });
    await submit('t', { name: 'mid-1' });
    await submit('t', { name: 'high-1' }, { priority: 10 });
    await submit('t', { name: 'mid-2' }, { priority: 0 });
    await submit('t', { name: 'high-2' }, { priority: 10 });
    await submit('t', { name: 'low-2' }, { priority: -5 });
    engine.start();
    await engine.onIdle();
    expect(order).toEqual(['high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2']);
  });

  it('puts a delayed job behind the jobs already waiting at its priority when it becomes due', async () => {
    const order: string[] = [];
    const gate = deferred();
    const { engine, clock, submit } = createEngine({
      workers: 1,
      handlers: {
        t: async (job: Job<{ name: string }>) => {
          order.push(job.payload.name);
          if (job.payload.name === 'blocker') await gate.promise;
        },
      },
    });
    engine.start();
    await submit('t', { name: 'blocker' });
    await flush();
    await submit('t', { name: 'delayed' }, { delay: 100 });
    await submit('t', { name: 'early' });
    await clock.advance(100);
    await submit('t', { name: 'late' });
    gate.resolve();
    await engine.onIdle();
    expect(order).toEqual(['blocker', 'early', 'delayed', 'late']);
  });

  it('puts a retry behind the jobs already waiting at its priority', async () => {
    const order: string[] = [];
    let failedOnce = false;
    const { engine, clock, submit } = createEngine({
      workers: 1,
      backoff: { delay: 10 },
      handlers: {
        t: (job: Job<{ name: string }>) => {
          order.push(`${job.payload.name}#${job.attempts}`);
          if (job.payload.name === 'flaky' && !failedOnce) {
            failedOnce = true;
            throw new Error('once');
          }
        },
      },
    });
    await submit('t', { name: 'flaky' });
    await submit('t', { name: 'a' });
    await submit('t', { name: 'b' });
    engine.start();
    await flush();
    await clock.advance(10);
    await submit('t', { name: 'c' });
    await engine.onIdle();
    expect(order).toEqual(['flaky#0', 'a#0', 'b#0', 'flaky#1', 'c#0']);
  });

  it('keeps the priority/FIFO invariant under any interleaving of submits and finishes (property)', async () => {
    // The model: whenever a worker is free, the next job to start is the
    // waiting one with the highest priority, earliest submitted among equals.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('submit' as const), priority: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 40 }), async (workers, ops) => {
        const running = new Map<number, Deferred>();
        const started: number[] = [];
        const { engine, submit } = createEngine({
          workers,
          queueSize: 1000,
          handlers: {
            t: (job: Job<{ n: number }>) => {
              started.push(job.payload.n);
              const hold = deferred();
              running.set(job.payload.n, hold);
              return hold.promise;
            },
          },
        });
        engine.start();
        const waiting: Array<{ n: number; priority: number }> = [];
        const expected: number[] = [];
        let modelRunning = 0;
        const modelPump = () => {
          while (modelRunning < workers && waiting.length > 0) {
            let best = 0;
            for (let i = 1; i < waiting.length; i++) if (waiting[i].priority > waiting[best].priority) best = i;
            expected.push(waiting.splice(best, 1)[0].n);
            modelRunning++;
          }
        };
        let n = 0;
        for (const step of ops) {
          if (step.kind === 'submit') {
            const id = n++;
            await submit('t', { n: id }, { priority: step.priority });
            waiting.push({ n: id, priority: step.priority });
          } else {
            const keys = [...running.keys()];
            if (keys.length === 0) continue;
            const key = keys[step.pick % keys.length];
            running.get(key)!.resolve();
            running.delete(key);
            modelRunning--;
          }
          await flush();
          modelPump();
          expect(started).toEqual(expected);
        }
        for (const hold of running.values()) hold.resolve();
        running.clear();
        // Finish everything still to come, one job at a time.
        for (;;) {
          await flush();
          const keys = [...running.keys()];
          if (keys.length === 0) break;
          for (const key of keys) {
            running.get(key)!.resolve();
            running.delete(key);
          }
        }
        await engine.onIdle();
        expect(started.length).toBe(n);
      }),
      { numRuns: 150 },
    );
  });
});
