import { afterEach, describe, expect, it } from '@jest/globals';
import { TerminusModule } from '@nestjs/terminus';
import { QueueUnavailableError } from '../../../lib/index.js';
import { JobsHealthIndicator } from '../../../lib/health/index.js';
import { type BullmqApp, driverOf, Handlers, nextEvent, startBullmqApp, until, Work } from '../../support/bullmq-app.js';
import { describeWithRedis } from '../../support/drivers.js';
import { type RedisServer, startRedisServer, uniquePrefix } from '../../support/redis.js';

/** Each test breaks a redis-server of its own, on a free loopback port: never the shared one. */
describeWithRedis('BullMQ driver when Redis fails', () => {
  let server: RedisServer | null = null;
  let apps: BullmqApp[] = [];

  afterEach(async () => {
    server?.resume();
    for (const app of apps) {
      for (const gate of app.get(Work).gates.values()) gate.resolve();
      await app.close();
    }
    apps = [];
    await server?.stop();
    server = null;
  });

  async function start(redis: RedisServer, prefix: string, options: { workers?: number; shutdownTimeout?: number } = {}) {
    const app = await startBullmqApp(
      [Work, Handlers, JobsHealthIndicator],
      { workers: options.workers ?? 2, queueSize: 1000, shutdownTimeout: options.shutdownTimeout ?? 1000 },
      // Short locks so a job stranded by a lost connection is picked up again soon.
      { connection: { ...redis.connection, commandTimeout: 300 }, prefix, lockDuration: 500, stalledInterval: 200 },
      [TerminusModule.forRoot({ logger: false })],
    );
    apps.push(app);
    return Object.assign(app, { work: app.get(Work) });
  }

  const brokerStatus = (app: BullmqApp) => driverOf(app).health().broker?.status;

  it('Redis restarts mid-load: submit fails fast while it is away, workers recover, no accepted job is lost', async () => {
    server = await startRedisServer({ appendonly: true });
    const app = await start(server, uniquePrefix('restart'));
    const accepted: string[] = [];
    for (const id of ['h1', 'h2']) accepted.push((await app.jobs.submit('held', null, { id })).id);
    for (let i = 0; i < 20; i++) accepted.push((await app.jobs.submit('plain', { i })).id);
    await nextEvent(app, 'started', 'h1');

    await server.kill();
    await until(() => brokerStatus(app) === 'down');
    await expect(app.jobs.submit('plain', {})).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(app.jobs.submit('plain', {})).rejects.toThrow(/Redis cannot be reached/);
    expect(app.get(JobsHealthIndicator).isHealthy().jobs).toMatchObject({
      status: 'down',
      reason: 'the broker cannot be reached',
      broker: { status: 'down', role: 'both' },
    });

    await server.restart();
    await until(() => brokerStatus(app) === 'up');
    expect(app.get(JobsHealthIndicator).isHealthy().jobs).toMatchObject({ status: 'up', broker: { status: 'up' } });
    for (let i = 0; i < 5; i++) accepted.push((await app.jobs.submit('plain', { after: i })).id);
    app.work.gate('h1').resolve();
    app.work.gate('h2').resolve();
    await app.jobs.onIdle();
    const completed = new Set(app.events.filter((e) => e.kind === 'completed').map((e) => e.job.id));
    expect(accepted.filter((id) => !completed.has(id))).toEqual([]);
    expect(app.jobs.metrics().rejected).toBe(2);
  });

  it('Redis paused at the shutdown deadline: the log says the job could not be confirmed back in the queue, and when it will run again', async () => {
    server = await startRedisServer();
    const app = await start(server, uniquePrefix('unreturned'), { shutdownTimeout: 300 });
    await app.jobs.submit('held', null, { id: 'stuck' });
    await nextEvent(app, 'started', 'stuck');

    server.pause();
    await app.close();
    expect(app.events.map((e) => e.kind)).toEqual(['submitted', 'started', 'abandoned']);
    expect(app.logger.at('warn').filter((line) => /Returned .* to the queue/.test(line))).toEqual([]);
    expect(app.logger.at('error')).toContainEqual(
      expect.stringMatching(
        /^Could not confirm that 1 unfinished job\(s\) went back to the queue at the shutdown deadline \(.+\): stuck\. .*until its lock expires \(lockDuration 500 ms/,
      ),
    );
  });

  it('Redis pauses mid-job: submit rejects within the command timeout, shutdown keeps its deadline, the job runs again later', async () => {
    server = await startRedisServer();
    const prefix = uniquePrefix('pause');
    const app = await start(server, prefix, { shutdownTimeout: 300 });
    await app.jobs.submit('held', { n: 1 }, { id: 'stranded' });
    await nextEvent(app, 'started', 'stranded');

    server.pause();
    // Ambiguous, as any timeout: the add may reach Redis once it wakes, so the error says to resubmit by id.
    const timedOut = app.jobs.submit('plain', {}, { id: 'maybe' });
    await expect(timedOut).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(timedOut).rejects.toThrow(/may or may not have been queued/);
    await app.close();
    expect(app.events.map((e) => e.kind)).toEqual(['submitted', 'started', 'abandoned']);
    expect(app.work.signals[0].aborted).toBe(true);

    server.resume();
    const heir = await start(server, prefix);
    heir.work.gate('stranded').resolve();
    await nextEvent(heir, 'completed', 'stranded');
    expect(heir.work.ran.find((r) => r.id === 'stranded')).toEqual({ id: 'stranded', payload: { n: 1 }, attempts: 0 });
  });
});
