import { Injectable } from '@nestjs/common';
import { type Job, JobHandler } from 'nestjs-jobs';
import { SampleWork } from './sample-work.js';

/** The three job types of the sample, as a user's app would write them. */
@Injectable()
export class SampleJobs {
  constructor(private readonly work: SampleWork) {}

  @JobHandler('email', { timeout: 5_000 })
  email(_job: Job<{ to: string }>, signal: AbortSignal): Promise<void> {
    return this.work.run('email', signal);
  }

  // Short backoff so that a report's retries show within the demo's first seconds.
  @JobHandler('report', { maxRetries: 3, timeout: 10_000, backoff: { delay: 500, factor: 2, jitter: 0.2 } })
  report(_job: Job<{ month: string }>, signal: AbortSignal): Promise<void> {
    return this.work.run('report', signal);
  }

  @JobHandler('notification', { timeout: 2_000 })
  notification(_job: Job<{ userId: number }>, signal: AbortSignal): Promise<void> {
    return this.work.run('notification', signal);
  }
}
