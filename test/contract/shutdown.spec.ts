import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, QueueClosedError } from '../../lib/index.js';
import { deferred, flush } from '../support/deferred.js';
import { driverFixtures } from '../support/drivers.js';
import { startApp } from '../support/app.js';

@Injectable()
class WorkService {
  gate = deferred();
  finished: string[] = [];
  aborted: string[] = [];
  @JobHandler('work')
  async run(job: Job<{ name: string }>, signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.aborted.push(job.payload.name), { once: true });
    await this.gate.promise;
    this.finished.push(job.payload.name);
  }
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout' || resource === 'Immediate').length;
}

const ENDS = ['completed', 'failed', 'abandoned'];

describe.each(driverFixtures)('$name driver: shutdown', (fixture) => {
  beforeAll(() => fixture.setup());
  afterAll(() => fixture.teardown());

  it('stops intake, then finishes running and waiting jobs before close() resolves', async () => {
    const t = await startApp({ workers: 1, queueSize: 10 }, { providers: [WorkService] }, fixture);
    const work = t.app.get(WorkService);
    const first = await t.jobs.submit('work', { name: 'running' });
    await t.jobs.submit('work', { name: 'waiting' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === first.id);
    let closed = false;
    const closing = t.close().then(() => (closed = true));
    // Nest's shutdown reaches the drain through promise callbacks only: one turn gets it there.
    await flush();
    await expect(t.jobs.submit('work', { name: 'late' })).rejects.toThrow(QueueClosedError);
    expect(closed).toBe(false);
    work.gate.resolve();
    await closing;
    // A broker keeps the waiting job queued for the other processes.
    const finished = fixture.capabilities.durableQueue ? ['running'] : ['running', 'waiting'];
    expect(work.finished).toEqual(finished);
    expect(work.aborted).toEqual([]);
    expect(t.jobs.metrics()).toMatchObject({ processed: finished.length, abandoned: 0 });
  });

  it('at shutdownTimeout aborts and abandons running jobs, logs them by id, and returns without waiting for them', async () => {
    const t = await startApp({ workers: 1, queueSize: 10, shutdownTimeout: 100 }, { providers: [WorkService] }, fixture);
    const work = t.app.get(WorkService);
    const running = await t.jobs.submit('work', { name: 'hung' });
    const waiting = await t.jobs.submit('work', { name: 'never-ran' });
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === running.id);
    await t.close();
    expect(work.aborted).toEqual(['hung']);
    expect(t.kindsOf(running.id)).toEqual(['submitted', 'started', 'abandoned']);
    // A broker keeps the waiting job queued for the other processes: not abandoned here.
    const durable = fixture.capabilities.durableQueue;
    expect(t.kindsOf(waiting.id).at(-1)).toBe(durable ? 'submitted' : 'abandoned');
    expect(t.jobs.metrics().abandoned).toBe(durable ? 1 : 2);
    const logged = t.logger.at('error').join('\n');
    expect(logged).toContain(running.id);
    if (!durable) expect(logged).toContain(waiting.id);
    // A late settle emits nothing.
    const before = t.events.length;
    work.gate.resolve();
    await flush();
    expect(t.events.length).toBe(before);
    // Every accepted job ended in exactly one way.
    for (const id of durable ? [running.id] : [running.id, waiting.id]) {
      expect(t.kindsOf(id).filter((kind) => ENDS.includes(kind))).toHaveLength(1);
    }
  });

  it('leaves no timer or immediate behind after close, and completes events$', async () => {
    await flush();
    const before = timers();
    const t = await startApp({ workers: 2, queueSize: 10 }, { providers: [WorkService] }, fixture);
    const work = t.app.get(WorkService);
    let completed = false;
    t.jobs.events$.subscribe({ complete: () => (completed = true) });
    await t.jobs.submit('work', { name: 'a' }, { delay: 5 });
    await t.jobs.submit('work', { name: 'b' }, { delay: 60_000 });
    work.gate.resolve();
    await t.nextEvent((event) => event.kind === 'completed');
    await t.close();
    expect(completed).toBe(true);
    // Earlier tests' timers may end meanwhile, and a closed Redis client's last timers run out within
    // moments of its close; none may stay. (The poll's own timer has fired when the count is read.)
    const deadline = Date.now() + 5_000;
    while (timers() > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
