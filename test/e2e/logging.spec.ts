import { ConsoleLogger, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type Job, JobHandler, JobQueue, JobsModule } from '../../lib/index.js';
import { startApp } from '../support/app.js';

@Injectable()
class MailService {
  @JobHandler('email')
  async send(_job: Job<{ to: string }>): Promise<void> {}
}

@Module({ imports: [JobsModule.forRoot({ workers: 1, queueSize: 10 })], providers: [MailService] })
class AppModule {}

const perJobLines = ['Job m1 (email) submitted', 'Job m1 (email) started, attempt 1', 'Job m1 (email) completed in'];

describe('per-job debug lines', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  // First: Nest's default logger is process-wide state, which the later tests replace.
  it("print with Nest's default logger, as its other debug lines do", async () => {
    // What `NestFactory.create(AppModule)` prints, kept off the test output.
    let printed = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    const app = await NestFactory.createApplicationContext(AppModule);
    try {
      const jobs = app.get(JobQueue);
      await jobs.submit('email', { to: 'a@example.com' }, { id: 'm1' });
      await jobs.onIdle();
    } finally {
      await app.close();
    }
    expect(printed).toContain('Workers started');
    for (const line of perJobLines) expect(printed).toContain(line);
  });

  it('reach a custom logger (LoggerService), which gets every level', async () => {
    const app = await startApp({ workers: 1, queueSize: 10 }, { providers: [MailService] });
    try {
      await app.jobs.submit('email', { to: 'a@example.com' }, { id: 'm1' });
      await app.jobs.onIdle();
    } finally {
      await app.close();
    }
    const debug = app.logger.at('debug');
    for (const line of perJobLines) expect(debug.some((message) => message.startsWith(line))).toBe(true);
  });

  it('stay off when the app leaves debug out of its log levels', async () => {
    let printed = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    const logger = new ConsoleLogger({ logLevels: ['log', 'warn', 'error'] });
    const debug = jest.spyOn(logger, 'debug');
    const app = await NestFactory.createApplicationContext(AppModule, { logger });
    try {
      const jobs = app.get(JobQueue);
      await jobs.submit('email', { to: 'a@example.com' }, { id: 'm1' });
      await jobs.onIdle();
    } finally {
      await app.close();
    }
    expect(printed).toContain('Starting Nest application');
    expect(printed).not.toContain('Job m1');
    // Not even handed to the logger: a line costs a string per job.
    expect(debug.mock.calls.filter(([message]) => String(message).startsWith('Job m1'))).toEqual([]);
    expect(debug).toHaveBeenCalledWith('Workers started', 'JobsModule');
  });
});
