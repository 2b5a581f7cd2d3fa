import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidJobError, type Job, JobHandler, type SubmitOptions } from 'nestjs-jobs';
import { type Deferred, deferred } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

/** Every run is held until the test releases it. */
@Injectable()
class HeldService {
  readonly gates = new Map<string, Deferred>();
  readonly priorities: number[] = [];

  gate(id: string): Deferred {
    let gate = this.gates.get(id);
    if (gate === undefined) this.gates.set(id, (gate = deferred()));
    return gate;
  }

  @JobHandler('held')
  run(job: Job): Promise<void> {
    this.priorities.push(job.priority);
    return this.gate(job.id).promise;
  }
}

describe.each(driverFixtures)('$name driver: waits and option reads', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it.each([
    ['0', 0],
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['undefined', undefined],
    ['a fraction', 1.5],
  ])('rejects onSizeLessThan(%s) with InvalidJobError naming the limit', async (_name, limit) => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [HeldService] }, fixture);
    const wait = t.jobs.onSizeLessThan(limit as number);
    await expect(wait).rejects.toThrow(InvalidJobError);
    await expect(wait).rejects.toThrow(/onSizeLessThan: "limit" must be an integer >= 1/);
    await t.close();
  });

  it('settles a pending onSizeLessThan and onIdle when the application closes', async () => {
    const t = await startApp({ workers: 1, queueSize: 10, shutdownTimeout: 50 }, { providers: [HeldService] }, fixture);
    await t.jobs.submit('held', null, { id: 'running' });
    await t.nextEvent((event) => event.kind === 'started');
    await t.jobs.submit('held', null, { id: 'waiting' });
    let settled = 0;
    const room = t.jobs.onSizeLessThan(1).then(() => settled++);
    const idle = t.jobs.onIdle().then(() => settled++);
    await t.close();
    await Promise.all([room, idle]);
    expect(settled).toBe(2);
    t.app.get(HeldService).gate('running').resolve();
  });

  it('emits submitted once the job is counted: onIdle called from the event waits for the job', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [HeldService] }, fixture);
    const held = t.app.get(HeldService);
    let idleBeforeDone: boolean | undefined;
    let done = false;
    const idle = new Promise<void>((resolve) => {
      const subscription = t.jobs.events$.subscribe((event) => {
        if (event.kind !== 'submitted') return;
        subscription.unsubscribe();
        void t.jobs.onIdle().then(() => {
          idleBeforeDone = !done;
          resolve();
        });
      });
    });
    const job = await t.jobs.submit('held', null);
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === job.id);
    done = true;
    held.gate(job.id).resolve();
    await idle;
    expect(idleBeforeDone).toBe(false);
    await t.close();
  });

  it('reads each submit option once: a getter cannot change a value after it was checked', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [HeldService] }, fixture);
    let reads = 0;
    const options = {
      get priority(): number {
        reads++;
        return (reads === 1 ? 5 : 'not a number') as number;
      },
    } as SubmitOptions;
    const job = await t.jobs.submit('held', null, options);
    expect(job.priority).toBe(5);
    expect(reads).toBe(1);
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === job.id);
    t.app.get(HeldService).gate(job.id).resolve();
    await t.jobs.onIdle();
    expect(t.app.get(HeldService).priorities).toEqual([5]);
    expect(t.jobs.metrics()).toMatchObject({ processed: 1, waiting: 0 });
    await t.close();
  });
});
