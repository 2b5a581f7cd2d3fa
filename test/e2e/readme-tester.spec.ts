import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, JobQueue, JobsModule } from 'nestjs-jobs';
import { bullmqDriver } from 'nestjs-jobs/bullmq';
import { createJobsTester, type JobsTester } from 'nestjs-jobs/testing';

// The application, as it runs in production: on BullMQ.
@Injectable()
export class MailService {
  readonly sent: string[] = [];

  @JobHandler('email', { maxRetries: 2, backoff: { delay: 5_000 } })
  async send(job: Job<{ to: string }>): Promise<string> {
    if (job.payload.to.endsWith('@invalid')) throw new Error(`No mail server for ${job.payload.to}`);
    this.sent.push(job.payload.to);
    return `sent to ${job.payload.to}`;
  }
}

@Injectable()
export class SignupService {
  constructor(private readonly jobs: JobQueue) {}

  async signup(to: string): Promise<string> {
    const job = await this.jobs.submit('email', { to });
    return job.id;
  }
}

@Module({
  imports: [
    JobsModule.forRoot({
      workers: 5,
      queueSize: 1000,
      driver: bullmqDriver({ connection: { host: 'redis.internal', port: 6379 } }),
    }),
  ],
  providers: [MailService, SignupService],
})
export class AppModule {}

// The test: no Redis, no sleeping.
describe('signup', () => {
  let tester: JobsTester;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    tester = createJobsTester(); // 'manual': jobs run when the test says so
    moduleRef = await tester.override(Test.createTestingModule({ imports: [AppModule] })).compile();
    await moduleRef.init();
  });

  afterEach(() => moduleRef.close());

  it('sends a welcome email', async () => {
    const id = await moduleRef.get(SignupService).signup('ada@example.com');
    expect(tester.jobs()).toEqual([expect.objectContaining({ id, type: 'email', state: 'waiting' })]);

    const record = await tester.runNext(); // exactly this job, one attempt
    expect(record).toMatchObject({ id, state: 'completed', result: 'sent to ada@example.com' });
    expect(moduleRef.get(MailService).sent).toEqual(['ada@example.com']);
  });

  it('retries, then fails for good', async () => {
    await moduleRef.get(SignupService).signup('bob@invalid');

    expect(await tester.runNext()).toMatchObject({ state: 'delayed', attemptsMade: 1 });
    await tester.advance(5_000); // the first backoff, on the test clock
    expect(tester.jobs({ state: 'waiting' })).toHaveLength(1);

    const [failed] = await tester.runAll(); // runs the rest, moving the clock through the backoffs
    expect(failed).toMatchObject({ state: 'failed', attemptsMade: 3, error: 'No mail server for bob@invalid' });
  });
});
