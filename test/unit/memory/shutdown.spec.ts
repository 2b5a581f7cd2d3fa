import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../lib/index.js';
import { QueueClosedError } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

describe('engine: drain and abort', () => {
  it('stops intake, finishes running and waiting jobs, then resolves with no timer left', async () => {
    const gate = deferred();
    const done: number[] = [];
    const { engine, kernel, clock, submit, monitor } = createEngine({
      workers: 1,
      handlers: {
        t: async (job: Job<number>) => {
          await gate.promise;
          done.push(job.payload);
        },
      },
    });
    engine.start();
    for (let i = 0; i < 3; i++) await submit('t', i);
    await flush();
    const closed = kernel.close();
    await expect(submit('t', 99)).rejects.toThrow(QueueClosedError);
    expect(engine.health().state).toBe('draining');
    gate.resolve();
    await closed;
    expect(done).toEqual([0, 1, 2]);
    expect(engine.health().state).toBe('closed');
    expect(monitor.counters.abandoned).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs delayed jobs that come due during the drain, and abandons the rest at once when nothing else runs', async () => {
    const gate = deferred();
    const { engine, clock, submit, kindsOf, logger } = createEngine({
      workers: 1,
      shutdownTimeout: 10_000,
      handlers: { t: () => gate.promise },
    });
    engine.start();
    const running = await submit('t');
    const soon = await submit('t', {}, { delay: 100 });
    const later = await submit('t', {}, { delay: 60_000 });
    await flush();
    const closed = engine.close();
    await clock.advance(100);
    gate.resolve();
    await closed;
    expect(kindsOf(running.id)).toEqual(['submitted', 'started', 'completed']);
    expect(kindsOf(soon.id)).toEqual(['submitted', 'started', 'completed']);
    expect(kindsOf(later.id)).toEqual(['submitted', 'abandoned']);
    expect(logger.at('error')).toEqual([`Abandoned 1 job(s) at shutdown: ${later.id}`]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('abandons pending retries once nothing is waiting or running', async () => {
    const { engine, submit, kindsOf } = createEngine({
      backoff: { delay: 5000 },
      handlers: { t: () => Promise.reject(new Error('no')) },
    });
    engine.start();
    const job = await submit('t');
    await flush();
    await engine.close();
    expect(kindsOf(job.id)).toEqual(['submitted', 'started', 'retrying', 'abandoned']);
  });

  it('at the deadline aborts running attempts, abandons everything left, and returns without waiting for them', async () => {
    const hang = deferred();
    let signal: AbortSignal | undefined;
    const { engine, clock, submit, events, monitor } = createEngine({
      workers: 1,
      shutdownTimeout: 1000,
      timeout: 60_000,
      handlers: {
        t: (_job: Job, s: AbortSignal) => {
          signal = s;
          return hang.promise;
        },
      },
    });
    engine.start();
    const running = await submit('t');
    const waiting = await submit('t');
    const delayed = await submit('t', {}, { delay: 500_000 });
    await flush();
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await clock.advance(999);
    expect(closed).toBe(false);
    expect(signal!.aborted).toBe(false);
    await clock.advance(1);
    await closing;
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as DOMException).name).toBe('AbortError');
    const abandoned = events.filter((event) => event.kind === 'abandoned').map((event) => event.job.id);
    expect(abandoned).toEqual([running.id, waiting.id, delayed.id]);
    expect(monitor.counters.abandoned).toBe(3);
    expect(engine.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, stuck: 0, rateLimited: 0 });
    expect(clock.pendingTimers).toBe(0);
    // A late settle emits nothing.
    const before = events.length;
    hang.resolve();
    await flush();
    expect(events.length).toBe(before);
    // Every accepted job ended in exactly one of completed, failed, abandoned.
    const ends = events.filter((event) => ['completed', 'failed', 'abandoned'].includes(event.kind));
    expect(ends.map((event) => event.job.id).sort()).toEqual([running.id, waiting.id, delayed.id].sort());
  });

  it('abandons a job whose timed-out handler still runs at the deadline, once, and reports nothing when it settles later', async () => {
    const hang = deferred();
    const { engine, clock, submit, kindsOf, monitor } = createEngine({
      timeout: 10,
      maxRetries: 0,
      shutdownTimeout: 100,
      handlers: { t: () => hang.promise },
    });
    engine.start();
    const job = await submit('t');
    await flush();
    await clock.advance(10);
    expect(engine.counts()).toMatchObject({ active: 1, stuck: 1 });
    const closed = engine.close();
    await clock.advance(100);
    await closed;
    expect(kindsOf(job.id)).toEqual(['submitted', 'started', 'abandoned']);
    hang.resolve();
    await flush();
    expect(kindsOf(job.id)).toEqual(['submitted', 'started', 'abandoned']);
    expect(monitor.counters).toMatchObject({ failed: 0, abandoned: 1 });
  });

  it('abandons a very large queue in one go', async () => {
    const { engine, submit, monitor, logger, events } = createEngine({ workers: 1, queueSize: 300_000, handlers: { t: () => undefined } });
    for (let i = 0; i < 300_000; i++) void submit('t');
    await engine.close();
    expect(monitor.counters.abandoned).toBe(300_000);
    // One bounded line: the count and a sample of ids; every id still has its own event.
    const lines = logger.at('error');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Abandoned 300000 job\(s\) at shutdown: (\S+, ){19}\S+ and 299980 more \(each has an "abandoned" event\)$/);
    expect(lines[0].length).toBeLessThan(1000);
    expect(events.filter((event) => event.kind === 'abandoned')).toHaveLength(300_000);
  });

  it('abandons what was accepted if it closes without ever starting', async () => {
    let ran = false;
    const { engine, submit, kindsOf } = createEngine({ handlers: { t: () => void (ran = true) } });
    const job = await submit('t');
    await engine.close();
    await flush();
    expect(ran).toBe(false);
    expect(kindsOf(job.id)).toEqual(['submitted', 'abandoned']);
  });

  it('returns the same promise when closed twice, and resolves onIdle waiters when it closes', async () => {
    const hang = deferred();
    const { engine, clock, submit } = createEngine({ shutdownTimeout: 10, handlers: { t: () => hang.promise } });
    engine.start();
    await submit('t');
    await flush();
    const idle = engine.onIdle();
    const first = engine.close();
    expect(engine.close()).toBe(first);
    await clock.advance(10);
    await first;
    await expect(idle).resolves.toBeUndefined();
    hang.resolve();
  });
});
