import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  InvalidJobError,
  type Job,
  JobHandler,
  JobNotFoundError,
  JobsError,
  JobStateError,
  type JobsModuleOptions,
  UnrecoverableJobError,
} from '../../lib/index.js';
import { type Deferred, deferred } from '../support/deferred.js';
import { type DriverFixture, driverFixtures } from '../support/drivers.js';
import { startApp, type TestApp } from '../support/app.js';

/** A user's handlers: one that fails for good unless told to pass, one held open by the test, one that returns a result. */
@Injectable()
class StoreService {
  /** Ids whose next attempt succeeds. */
  readonly healed = new Set<string>();
  readonly gates = new Map<string, Deferred>();

  gate(id: string): Deferred {
    let gate = this.gates.get(id);
    if (gate === undefined) this.gates.set(id, (gate = deferred()));
    return gate;
  }

  @JobHandler('charge', { maxRetries: 0 })
  async charge(job: Job<{ amount: number }>): Promise<{ charged: number }> {
    if (!this.healed.has(job.id)) throw new UnrecoverableJobError(`card declined for ${job.payload.amount}`);
    return { charged: job.payload.amount };
  }

  @JobHandler('report', { retention: { completed: { count: 2 } } })
  async report(job: Job<{ n: number }>): Promise<{ rows: number }> {
    return { rows: job.payload.n * 10 };
  }

  @JobHandler('held')
  held(job: Job): Promise<void> {
    return this.gate(job.id).promise;
  }
}

const OPTIONS: JobsModuleOptions = { workers: 1, queueSize: 20, shutdownTimeout: 2000 };

describe.each(driverFixtures)('$name driver: job store', (fixture: DriverFixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  async function start(options: Partial<JobsModuleOptions> = {}): Promise<TestApp & { store: StoreService }> {
    const t = await startApp({ ...OPTIONS, ...options }, { providers: [StoreService] }, fixture);
    return Object.assign(t, { store: t.app.get(StoreService) });
  }

  /** Submits a charge that fails for good, and waits until its failure is stored. */
  async function failCharge(t: TestApp, id: string, amount = 1): Promise<void> {
    await t.jobs.submit('charge', { amount }, { id });
    await t.nextEvent((event) => event.kind === 'failed' && event.job.id === id);
    await t.jobs.onIdle();
  }

  it('keeps a failed job: getJob, listJobs and jobCounts report it with its error and finishedAt', async () => {
    const t = await start();
    await failCharge(t, 'order-1', 42);
    const record = await t.jobs.getJob('order-1');
    expect(record).toMatchObject({
      id: 'order-1',
      type: 'charge',
      payload: { amount: 42 },
      state: 'failed',
      attempts: 0,
      attemptsMade: 1,
      maxRetries: 0,
      error: 'card declined for 42',
    });
    expect(record!.finishedAt).toBeInstanceOf(Date);
    expect(record!.finishedAt!.getTime()).toBeGreaterThanOrEqual(record!.createdAt.getTime());
    const page = await t.jobs.listJobs({ state: 'failed' });
    expect(page.jobs.map((job) => job.id)).toEqual(['order-1']);
    expect(page.next).toBeUndefined();
    const counts = await t.jobs.jobCounts();
    expect(counts.charge).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 });
    expect(counts.report).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
    // Kept jobs never count against queueSize.
    expect(t.jobs.metrics()).toMatchObject({ waiting: 0, delayed: 0 });
    await t.close();
  });

  it('keeps completed jobs only where retention asks, with the handler\'s result, newest first and at most count', async () => {
    const t = await start();
    t.store.healed.add('paid');
    await t.jobs.submit('charge', { amount: 5 }, { id: 'paid' });
    for (const n of [1, 2, 3]) await t.jobs.submit('report', { n }, { id: `report-${n}` });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === 'report-3');
    await t.jobs.onIdle();
    // completed defaults to { count: 0 }: not kept.
    expect(await t.jobs.getJob('paid')).toBeUndefined();
    const { jobs } = await t.jobs.listJobs({ state: 'completed' });
    expect(jobs.map((job) => [job.id, job.state, job.result, job.attemptsMade])).toEqual([
      ['report-3', 'completed', { rows: 30 }, 1],
      ['report-2', 'completed', { rows: 20 }, 1],
    ]);
    expect(await t.jobs.getJob('report-1')).toBeUndefined();
    expect((await t.jobs.jobCounts()).report.completed).toBe(2);
    await t.close();
  });

  it('keeps at most retention.failed.count failed jobs per type, the newest', async () => {
    const t = await start({ retention: { failed: { count: 2 } } });
    for (const id of ['f1', 'f2', 'f3']) await failCharge(t, id);
    const { jobs } = await t.jobs.listJobs({ state: 'failed', type: 'charge' });
    expect(jobs.map((job) => job.id)).toEqual(['f3', 'f2']);
    expect(await t.jobs.getJob('f1')).toBeUndefined();
    await t.close();
  });

  it('never returns a record past its retention age', async () => {
    // Long enough to read the record back on a loaded machine, short enough to wait out.
    const t = await start({ retention: { failed: { age: 500 } } });
    await failCharge(t, 'old');
    const kept = await t.jobs.getJob('old');
    expect(kept?.state).toBe('failed');
    // Wait for the record's age to pass on the wall clock (no fixed sleep: until the age has passed).
    while (Date.now() - kept!.finishedAt!.getTime() < 510) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await t.jobs.getJob('old')).toBeUndefined();
    expect((await t.jobs.listJobs({ state: 'failed' })).jobs).toEqual([]);
    expect((await t.jobs.jobCounts()).charge.failed).toBe(0);
    await expect(t.jobs.retryJob('old')).rejects.toThrow(JobNotFoundError);
    await t.close();
  });

  it('pages with a cursor: every job that stays failed is listed exactly once, even with failures arriving between pages', async () => {
    const t = await start();
    for (let i = 1; i <= 5; i++) await failCharge(t, `p${i}`);
    const seen: string[] = [];
    let page = await t.jobs.listJobs({ state: 'failed', limit: 2 });
    seen.push(...page.jobs.map((job) => job.id));
    expect(seen).toEqual(['p5', 'p4']);
    await failCharge(t, 'late-1');
    while (page.next !== undefined) {
      page = await t.jobs.listJobs({ state: 'failed', limit: 2, cursor: page.next });
      seen.push(...page.jobs.map((job) => job.id));
      await failCharge(t, `late-${seen.length}`);
    }
    expect(seen).toEqual(['p5', 'p4', 'p3', 'p2', 'p1']);
    await t.close();
  });

  it('lists waiting jobs in run order, delayed ones by due time, and the running one', async () => {
    const t = await start();
    await t.jobs.submit('held', null, { id: 'running' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === 'running');
    await t.jobs.submit('held', null, { id: 'low', priority: -1 });
    await t.jobs.submit('held', null, { id: 'high', priority: 5 });
    await t.jobs.submit('held', null, { id: 'mid-1' });
    await t.jobs.submit('held', null, { id: 'mid-2' });
    await t.jobs.submit('held', null, { id: 'later', delay: 600_000 });
    await t.jobs.submit('held', null, { id: 'sooner', delay: 500_000 });

    const first = await t.jobs.listJobs({ state: 'waiting', limit: 3 });
    const second = await t.jobs.listJobs({ state: 'waiting', limit: 3, cursor: first.next });
    expect([...first.jobs, ...second.jobs].map((job) => job.id)).toEqual(['high', 'mid-1', 'mid-2', 'low']);
    expect(second.next).toBeUndefined();
    expect(first.jobs[0]).toMatchObject({ state: 'waiting', attempts: 0, attemptsMade: 0, priority: 5 });
    expect((await t.jobs.listJobs({ state: 'delayed' })).jobs.map((job) => [job.id, job.state])).toEqual([
      ['sooner', 'delayed'],
      ['later', 'delayed'],
    ]);
    const active = await t.jobs.listJobs({ state: 'active', type: 'held' });
    expect(active.jobs.map((job) => [job.id, job.state, job.attemptsMade])).toEqual([['running', 'active', 1]]);
    expect(await t.jobs.getJob('mid-2')).toMatchObject({ state: 'waiting' });
    expect(await t.jobs.getJob('sooner')).toMatchObject({ state: 'delayed' });
    expect((await t.jobs.jobCounts()).held).toEqual({ waiting: 4, delayed: 2, active: 1, completed: 0, failed: 0 });
    for (const id of ['running', 'low', 'high', 'mid-1', 'mid-2']) t.store.gate(id).resolve();
    await t.close();
  });

  it('retryJob runs a failed job again from attempt 0: submitted again, counted apart from automatic retries', async () => {
    const t = await start();
    await failCharge(t, 'redo', 7);
    t.store.healed.add('redo');
    const retried = await t.jobs.retryJob('redo');
    expect(retried).toMatchObject({ id: 'redo', type: 'charge', payload: { amount: 7 }, attempts: 0, maxRetries: 0 });
    expect(['waiting', 'active']).toContain(retried.state);
    const completed = await t.nextEvent((event) => event.kind === 'completed' && event.job.id === 'redo');
    expect(completed.job.attempts).toBe(0);
    expect(t.kindsOf('redo')).toEqual(['submitted', 'started', 'failed', 'submitted', 'started', 'completed']);
    expect(t.events.filter((event) => event.job.id === 'redo' && event.kind === 'submitted').map((event) => event.manual)).toEqual([
      undefined,
      true,
    ]);
    expect(t.jobs.metrics()).toMatchObject({ retriedManually: 1, retried: 0, failed: 1, processed: 1 });
    await t.jobs.onIdle();
    expect(await t.jobs.getJob('redo')).toBeUndefined();
    await t.close();
  });

  it('retryJobs retries every kept failed job of a type and resolves how many', async () => {
    const t = await start();
    for (const id of ['a', 'b', 'c']) {
      await failCharge(t, id);
      t.store.healed.add(id);
    }
    expect(await t.jobs.retryJobs({ type: 'report' })).toBe(0);
    expect(await t.jobs.retryJobs({ type: 'charge' })).toBe(3);
    await Promise.all(['a', 'b', 'c'].map((id) => t.nextEvent((event) => event.kind === 'completed' && event.job.id === id)));
    expect(t.jobs.metrics().retriedManually).toBe(3);
    expect(await t.jobs.retryJobs()).toBe(0);
    await t.close();
  });

  it('retryJob rejects with JobNotFoundError for an unknown id and JobStateError for a job that has not failed', async () => {
    const t = await start();
    await t.jobs.submit('report', { n: 1 }, { id: 'done' });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === 'done');
    await t.jobs.onIdle();
    await t.jobs.submit('held', null, { id: 'busy' });
    await t.jobs.submit('held', null, { id: 'queued' });

    const missing = t.jobs.retryJob('nope');
    await expect(missing).rejects.toThrow(JobNotFoundError);
    await expect(missing).rejects.toThrow(/No job with id "nope"/);
    await expect(missing).rejects.toBeInstanceOf(JobsError);
    await expect(t.jobs.retryJob('done')).rejects.toThrow(JobStateError);
    await expect(t.jobs.retryJob('done')).rejects.toThrow(/is completed: only a failed job can be retried/);
    await expect(t.jobs.retryJob('queued')).rejects.toThrow(/is waiting: only a failed job/);
    t.store.gate('busy').resolve();
    t.store.gate('queued').resolve();
    await t.close();
  });

  it('removeJob removes waiting, delayed and kept jobs with a removed event, refuses a running one, and says false for none', async () => {
    const t = await start();
    await failCharge(t, 'gone');
    await t.jobs.submit('held', null, { id: 'busy' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === 'busy');
    await t.jobs.submit('held', null, { id: 'queued' });
    await t.jobs.submit('held', null, { id: 'parked', delay: 600_000 });

    expect(await t.jobs.removeJob('gone')).toBe(true);
    expect(await t.jobs.removeJob('queued')).toBe(true);
    expect(await t.jobs.removeJob('parked')).toBe(true);
    expect(await t.jobs.removeJob('queued')).toBe(false);
    expect(await t.jobs.removeJob('never-was')).toBe(false);
    const busy = t.jobs.removeJob('busy');
    await expect(busy).rejects.toThrow(JobStateError);
    await expect(busy).rejects.toThrow(/"busy" is active: a running job cannot be removed/);

    expect(t.kindsOf('queued')).toEqual(['submitted', 'removed']);
    expect(t.kindsOf('parked')).toEqual(['submitted', 'removed']);
    expect(t.kindsOf('gone').at(-1)).toBe('removed');
    for (const id of ['gone', 'queued', 'parked']) expect(await t.jobs.getJob(id)).toBeUndefined();
    expect((await t.jobs.jobCounts()).held).toMatchObject({ waiting: 0, delayed: 0, active: 1 });
    t.store.gate('busy').resolve();
    await t.close();
  });

  it('replaces a kept failed record when its id is submitted again', async () => {
    const t = await start();
    await failCharge(t, 'again', 1);
    t.store.healed.add('again');
    const job = await t.jobs.submit('charge', { amount: 2 }, { id: 'again' });
    expect(job.payload).toEqual({ amount: 2 });
    await t.nextEvent((event) => event.kind === 'completed' && event.job.id === 'again');
    await t.jobs.onIdle();
    expect(t.kindsOf('again')).toEqual(['submitted', 'started', 'failed', 'submitted', 'started', 'completed']);
    expect(await t.jobs.getJob('again')).toBeUndefined();
    expect((await t.jobs.jobCounts()).charge.failed).toBe(0);
    await t.close();
  });

  it.each([
    ['a limit of 0', { state: 'failed', limit: 0 }, /"limit" must be an integer from 1 to 1000, got 0/],
    ['a limit of 1001', { state: 'failed', limit: 1001 }, /"limit" must be an integer from 1 to 1000, got 1001/],
    ['a fractional limit', { state: 'failed', limit: 2.5 }, /"limit" must be an integer from 1 to 1000, got 2.5/],
    ['an unknown state', { state: 'stuck' }, /"state" must be one of waiting, delayed, active, completed, failed, got "stuck"/],
    ['no state', {}, /"state" must be one of/],
    ['an unknown type', { state: 'failed', type: 'mail' }, /"type" must be a job type this process handles \("charge", "report", "held"\), got "mail"/],
    ['a malformed cursor', { state: 'failed', cursor: 'not-a-cursor' }, /"cursor" must be the "next" of a previous page/],
  ])('listJobs rejects %s with InvalidJobError naming the field', async (_name, options, message) => {
    const t = await start();
    const listing = t.jobs.listJobs(options as never);
    await expect(listing).rejects.toThrow(InvalidJobError);
    await expect(listing).rejects.toThrow(message);
    await t.close();
  });

  it('rejects a cursor made for another state or type, and an unknown type for retryJobs', async () => {
    const t = await start();
    for (const id of ['c1', 'c2']) await failCharge(t, id);
    const { next } = await t.jobs.listJobs({ state: 'failed', limit: 1 });
    expect(next).toEqual(expect.any(String));
    await expect(t.jobs.listJobs({ state: 'completed', cursor: next })).rejects.toThrow(/"cursor"/);
    await expect(t.jobs.listJobs({ state: 'failed', type: 'charge', cursor: next })).rejects.toThrow(/"cursor"/);
    await expect(t.jobs.retryJobs({ type: 'mail' })).rejects.toThrow(InvalidJobError);
    await expect(t.jobs.retryJobs({ type: 'mail' })).rejects.toThrow(/retryJobs: "type" must be a job type this process handles/);
    expect(await t.jobs.getJob('not a valid id!')).toBeUndefined();
    await t.close();
  });
});
