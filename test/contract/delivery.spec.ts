import { Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, JobQueue } from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

/** A user's mail service, in a feature module of its own. */
@Injectable()
class MailService {
  readonly sent: string[] = [];
  readonly seen: Job[] = [];
  @JobHandler('email')
  async send(job: Job<{ to: string }>, signal: AbortSignal): Promise<void> {
    expect(signal).toBeInstanceOf(AbortSignal);
    this.seen.push(job);
    this.sent.push(job.payload.to);
  }
}

@Module({ providers: [MailService] })
class MailModule {}

/** Another module submits, with JobQueue injected although it imports nothing. */
@Injectable()
class SignupService {
  constructor(readonly jobs: JobQueue) {}
  signup(to: string) {
    return this.jobs.submit('email', { to }, { priority: 10 });
  }
}

@Module({ providers: [SignupService] })
class SignupModule {}

/** Holds every job of its type until released, recording the order they ran in. */
@Injectable()
class Ordered {
  readonly order: string[] = [];
  gate = deferred();
  @JobHandler('ordered')
  async run(job: Job<{ name: string }>): Promise<void> {
    this.order.push(job.payload.name);
    await this.gate.promise;
  }
}

describe.each(driverFixtures)('$name driver: delivery', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it('finds handlers in every module and runs jobs submitted from any module, with `this` bound', async () => {
    const t = await startApp({ workers: 2, queueSize: 10 }, { imports: [MailModule, SignupModule] }, fixture);
    const job = await t.app.get(SignupService).signup('ada@example.com');
    expect(job).toMatchObject({ type: 'email', payload: { to: 'ada@example.com' }, priority: 10, attempts: 0, maxRetries: 3 });
    expect(typeof job.id).toBe('string');
    expect(job.createdAt).toBeInstanceOf(Date);
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    const mail = t.app.get(MailService);
    expect(mail.sent).toEqual(['ada@example.com']);
    expect(mail.seen[0]).toMatchObject({ id: job.id, attempts: 0 });
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'completed']);
    const completed = t.events.find((event) => event.kind === 'completed')!;
    expect(completed.durationMs).toBeGreaterThanOrEqual(0);
    await t.close();
  });

  it('reports metrics synchronously, with the configured workers and queueSize', async () => {
    const t = await startApp({ workers: 3, queueSize: 7 }, { imports: [MailModule] }, fixture);
    const job = await t.jobs.submit('email', { to: 'x@example.com' });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === job.id);
    await t.jobs.onIdle();
    const metrics = t.jobs.metrics();
    expect(metrics).toEqual({
      processed: 1,
      failed: 0,
      retried: 0,
      retriedManually: 0,
      abandoned: 0,
      rejected: 0,
      avgDurationMs: expect.any(Number),
      waiting: 0,
      delayed: 0,
      active: 0,
      stuck: 0,
      rateLimited: 0,
      workers: 3,
      queueSize: 7,
    });
    expect(t.jobs.metricsByType()).toEqual({ email: { waiting: 0, delayed: 0, active: 0, rateLimited: 0 } });
    expect(t.jobs.status()).toMatchObject({ state: 'running' });
    await t.close();
  });

  it('runs a type in priority order, FIFO within a priority', async () => {
    const t = await startApp({ workers: 1, queueSize: 20 }, { providers: [Ordered] }, fixture);
    const ordered = t.app.get(Ordered);
    const blocker = await t.jobs.submit('ordered', { name: 'blocker' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === blocker.id);
    for (const [name, priority] of [['low', -1], ['mid-1', 0], ['high', 5], ['mid-2', 0]] as const) {
      await t.jobs.submit('ordered', { name }, { priority });
    }
    ordered.gate.resolve();
    await t.jobs.onIdle();
    expect(ordered.order).toEqual(['blocker', 'high', 'mid-1', 'mid-2', 'low']);
    await t.close();
  });

  it('does not start a delayed job before its delay has passed', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { imports: [MailModule] }, fixture);
    const job = await t.jobs.submit('email', { to: 'later@example.com' }, { delay: 150 });
    expect(t.jobs.metrics().delayed + t.jobs.metrics().waiting).toBeGreaterThanOrEqual(1);
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === job.id);
    expect(Date.now() - job.createdAt.getTime()).toBeGreaterThanOrEqual(150);
    await t.close();
  });

  it('treats an id as an idempotency key while the job is pending, and frees it once finished', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [Ordered] }, fixture);
    const ordered = t.app.get(Ordered);
    const first = await t.jobs.submit('ordered', { name: 'one' }, { id: 'invoice-7' });
    const again = await t.jobs.submit('ordered', { name: 'two' }, { id: 'invoice-7' });
    expect(again.id).toBe('invoice-7');
    expect(again.payload).toEqual({ name: 'one' });
    expect(t.events.filter((event) => event.kind === 'submitted')).toHaveLength(1);
    ordered.gate.resolve();
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === first.id);
    await t.jobs.onIdle();
    const reused = await t.jobs.submit('ordered', { name: 'three' }, { id: 'invoice-7' });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.payload.name === 'three');
    expect(reused.id).toBe('invoice-7');
    expect(ordered.order).toEqual(['one', 'three']);
    await t.close();
  });

  it('waits for room with onSizeLessThan and for the end of work with onIdle', async () => {
    const t = await startApp({ workers: 1, queueSize: 3 }, { providers: [Ordered] }, fixture);
    const ordered = t.app.get(Ordered);
    const first = await t.jobs.submit('ordered', { name: 'a' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === first.id);
    for (const name of ['b', 'c', 'd']) await t.jobs.submit('ordered', { name });
    let roomy = false;
    const room = t.jobs.onSizeLessThan(3).then(() => (roomy = true));
    expect(roomy).toBe(false);
    ordered.gate.resolve();
    await room;
    await t.jobs.onIdle();
    expect(t.jobs.metrics()).toMatchObject({ waiting: 0, delayed: 0, active: 0, processed: 4 });
    await t.close();
  });
});
