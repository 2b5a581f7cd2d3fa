import { describe, expect, it } from '@jest/globals';
import type { Job } from '../../../lib/index.js';
import { UnrecoverableJobError } from '../../../lib/index.js';
import { deferred, flush } from '../../support/deferred.js';
import { createEngine } from '../../support/engine-harness.js';

describe('engine: retries and backoff', () => {
  it('retries after delay * factor^(n-1), capped at maxDelay, then fails for good', async () => {
    const startedAt: number[] = [];
    const { engine, clock, submit, kindsOf, events } = createEngine({
      workers: 1,
      maxRetries: 4,
      backoff: { delay: 1000, factor: 2, maxDelay: 3000 },
      handlers: {
        t: () => {
          startedAt.push(clock.now());
          throw new Error('boom');
        },
      },
    });
    engine.start();
    const job = await submit('t');
    const t0 = clock.now();
    await flush();
    await clock.advance(20_000);
    expect(startedAt.map((at) => at - t0)).toEqual([0, 1000, 3000, 6000, 9000]);
    expect(kindsOf(job.id)).toEqual([
      'submitted', 'started', 'retrying', 'started', 'retrying', 'started', 'retrying', 'started', 'retrying', 'started', 'failed',
    ]);
    const failed = events.find((event) => event.kind === 'failed')!;
    expect(failed.job).toMatchObject({ attempts: 4, maxRetries: 4, error: 'boom' });
    expect(failed.error).toBe('boom');
    expect(engine.counts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
  });

  it('takes up to `jitter` of the wait off, at random', async () => {
    const startedAt: number[] = [];
    const { engine, clock, submit } = createEngine(
      {
        maxRetries: 1,
        backoff: { delay: 1000, jitter: 0.5 },
        handlers: {
          t: () => {
            startedAt.push(clock.now());
            throw new Error('x');
          },
        },
      },
      { random: () => 0.5 },
    );
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(5000);
    expect(startedAt[1] - startedAt[0]).toBe(750);
  });

  it('gives handlers each attempt as a snapshot: attempts so far and the last error', async () => {
    const seen: Array<{ attempts: number; error?: string }> = [];
    const { engine, clock, submit } = createEngine({
      maxRetries: 2,
      backoff: { delay: 1 },
      handlers: {
        t: (job: Job) => {
          seen.push({ attempts: job.attempts, error: job.error });
          expect(Object.isFrozen(job)).toBe(true);
          if (job.attempts < 2) throw new Error(`fail ${job.attempts}`);
        },
      },
    });
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(100);
    expect(seen).toEqual([
      { attempts: 0, error: undefined },
      { attempts: 1, error: 'fail 0' },
      { attempts: 2, error: 'fail 1' },
    ]);
  });

  it('fails a job at once, without retries, when its handler throws UnrecoverableJobError', async () => {
    let calls = 0;
    const { engine, submit, kindsOf, monitor } = createEngine({
      maxRetries: 5,
      handlers: {
        t: () => {
          calls++;
          throw new UnrecoverableJobError('bad input');
        },
      },
    });
    engine.start();
    const job = await submit('t');
    await engine.onIdle();
    expect(calls).toBe(1);
    expect(kindsOf(job.id)).toEqual(['submitted', 'started', 'failed']);
    expect(monitor.counters.failed).toBe(1);
    expect(monitor.counters.retried).toBe(0);
  });

  it('lets submit options beat handler options, which beat module options', async () => {
    const seen: number[] = [];
    const { engine, clock, submit } = createEngine({
      maxRetries: 5,
      backoff: { delay: 1 },
      handlers: {
        t: { fn: (job: Job) => void seen.push(job.maxRetries), options: { maxRetries: 2 } },
      },
    });
    engine.start();
    await submit('t');
    await submit('t', {}, { maxRetries: 0 });
    await clock.advance(10);
    expect(seen).toEqual([2, 0]);
  });
});

describe('engine: per-attempt timeout', () => {
  it('aborts the signal at the deadline (never before, at most the slot width after) and fails the attempt', async () => {
    let signal: AbortSignal | undefined;
    const release = deferred();
    const { engine, clock, submit, events, kernel } = createEngine(
      {
        timeout: 100,
        maxRetries: 0,
        handlers: {
          t: (_job: Job, s: AbortSignal) => {
            signal = s;
            return release.promise;
          },
        },
      },
      { signalGranularityMs: 2 },
    );
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(99);
    expect(signal!.aborted).toBe(false);
    await clock.advance(3);
    expect(signal!.aborted).toBe(true);
    expect((signal!.reason as DOMException).name).toBe('TimeoutError');
    // The worker stays taken until the handler settles: the job is still active, its attempt stuck,
    // and it is not yet counted failed (one job is never both).
    expect(kernel.metrics()).toMatchObject({ active: 1, stuck: 1, failed: 0 });
    expect(events.map((event) => event.kind)).toEqual(['submitted', 'started']);
    await clock.advance(20);
    // Whatever the handler does after its deadline, the attempt has failed.
    release.resolve();
    await flush();
    expect(kernel.metrics()).toMatchObject({ active: 0, stuck: 0, failed: 1 });
    const failed = events.find((event) => event.kind === 'failed')!;
    expect(failed.error).toBe('Attempt timed out after 100 ms');
    expect(failed.durationMs).toBe(122);
    expect(events.map((event) => event.kind)).toEqual(['submitted', 'started', 'failed']);
  });

  it('keeps accepted = processed + failed + abandoned + waiting + delayed + active while an attempt is stuck', async () => {
    const hang = deferred();
    const { engine, clock, submit, kernel } = createEngine({ workers: 2, timeout: 50, maxRetries: 0, handlers: { t: () => hang.promise } });
    engine.start();
    for (let i = 0; i < 3; i++) await submit('t');
    await flush();
    const total = () => {
      const m = kernel.metrics();
      return m.processed + m.failed + m.abandoned + m.waiting + m.delayed + m.active;
    };
    expect(total()).toBe(3);
    await clock.advance(60);
    expect(kernel.metrics()).toMatchObject({ stuck: 2, active: 2, failed: 0, waiting: 1 });
    expect(total()).toBe(3);
    hang.resolve();
    await flush();
    expect(kernel.metrics()).toMatchObject({ stuck: 0, failed: 2 });
    expect(total()).toBe(3);
  });

  it('starts the retry of a timed-out attempt only after the attempt settles (attempts never overlap)', async () => {
    const releases = [deferred(), deferred()];
    let running = 0;
    let overlapped = false;
    let calls = 0;
    const { engine, clock, submit, events } = createEngine({
      timeout: 100,
      maxRetries: 1,
      backoff: { delay: 10 },
      handlers: {
        t: async () => {
          if (running > 0) overlapped = true;
          running++;
          await releases[calls++].promise;
          running--;
        },
      },
    });
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(150);
    // Past its deadline but not settled: no retry yet, and nothing reported.
    expect(events.map((event) => event.kind)).toEqual(['submitted', 'started']);
    expect(engine.counts()).toMatchObject({ active: 1, stuck: 1, delayed: 0 });
    expect(calls).toBe(1);
    releases[0].resolve();
    await flush();
    expect(events.map((event) => event.kind)).toEqual(['submitted', 'started', 'retrying']);
    expect(events[2].error).toBe('Attempt timed out after 100 ms');
    // The backoff counts from the settle.
    await clock.advance(9);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    releases[1].resolve();
    await engine.onIdle();
    expect(overlapped).toBe(false);
    expect(events.at(-1)!.kind).toBe('completed');
  });

  it('counts every worker stuck when all are held past their timeout', async () => {
    const hang = deferred();
    const { engine, clock, submit } = createEngine({ workers: 2, timeout: 50, maxRetries: 0, handlers: { t: () => hang.promise } });
    engine.start();
    await submit('t');
    await submit('t');
    await submit('t');
    await flush();
    await clock.advance(60);
    expect(engine.counts()).toMatchObject({ active: 2, stuck: 2, waiting: 1 });
    hang.resolve();
    await engine.onIdle();
    expect(engine.counts()).toMatchObject({ active: 0, stuck: 0 });
  });

  it('shares one signal between attempts whose deadlines fall in the same slot, and a new one per slot', async () => {
    const signals: AbortSignal[] = [];
    const { engine, clock, submit } = createEngine(
      { workers: 4, handlers: { t: (_job: Job, signal: AbortSignal) => void signals.push(signal) } },
      { signalGranularityMs: 10 },
    );
    engine.start();
    await submit('t');
    await submit('t');
    await flush();
    await clock.advance(10);
    await submit('t');
    await flush();
    expect(signals[0]).toBe(signals[1]);
    expect(signals[2]).not.toBe(signals[0]);
    // Nothing aborted: every attempt finished before its deadline.
    expect(signals.every((signal) => !signal.aborted)).toBe(true);
  });
});

describe('engine: events come after the state they report', () => {
  it('emits submitted once the job is counted, and retrying once its retry is', async () => {
    let calls = 0;
    const { engine, kernel, clock, submit, monitor } = createEngine({
      maxRetries: 1,
      backoff: { delay: 100 },
      handlers: {
        t: () => {
          if (calls++ === 0) throw new Error('first');
        },
      },
    });
    const seen: Array<[string, number, number, number]> = [];
    monitor.events$.subscribe((event) => {
      const { waiting, delayed, active } = kernel.metrics();
      seen.push([event.kind, waiting, delayed, active]);
    });
    engine.start();
    await submit('t');
    await flush();
    await clock.advance(100);
    await engine.onIdle();
    expect(seen).toEqual([
      ['submitted', 1, 0, 0],
      ['started', 0, 0, 1],
      ['retrying', 0, 1, 0],
      ['started', 0, 0, 1],
      ['completed', 0, 0, 0],
    ]);
  });

  it('gives a job delayed by 0 ms backoff its retries, and never freezes the timer (backoff delay 0)', async () => {
    let calls = 0;
    const { engine, clock, submit, events } = createEngine({
      maxRetries: 1100,
      backoff: { delay: 0, factor: 2 },
      handlers: {
        t: () => {
          if (++calls <= 1100) throw new Error('again');
        },
        later: () => undefined,
      },
    });
    engine.start();
    // 2^1100 is Infinity: with delay 0, 0 * Infinity was NaN, a due time that froze every delayed job.
    const job = await submit('t');
    const later = await submit('later', {}, { delay: 50 });
    await flush();
    expect(events.filter((event) => event.job.id === job.id).at(-1)).toMatchObject({ kind: 'completed', job: { attempts: 1100 } });
    await clock.advance(50);
    await engine.onIdle();
    expect(events.filter((event) => event.job.id === job.id).at(-1)!.kind).toBe('completed');
    expect(events.some((event) => event.kind === 'completed' && event.job.id === later.id)).toBe(true);
  });
});
