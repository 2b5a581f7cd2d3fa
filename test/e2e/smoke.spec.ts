import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import { type Job, JobHandler, JobQueue, JobsModule } from '../../lib/index.js';

@Injectable()
class MailService {
  seen: string[] = [];
  @JobHandler('email')
  async send(job: Job<{ to: string }>) {
    this.seen.push(job.payload.to);
  }
}

@Module({ imports: [JobsModule.forRoot({ workers: 2, queueSize: 10 })], providers: [MailService] })
class AppModule {}

describe('smoke', () => {
  it('runs a job', async () => {
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = ref.createNestApplication();
    await app.init();
    const jobs = app.get(JobQueue);
    const job = await jobs.submit('email', { to: 'a@b.c' });
    expect(job.attempts).toBe(0);
    await jobs.onIdle();
    expect(app.get(MailService).seen).toEqual(['a@b.c']);
    expect(jobs.metrics().processed).toBe(1);
    await app.close();
  });
});
