import { Controller, Injectable, Module, NotFoundException, Post, UseFilters } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  type Job,
  JobHandler,
  JobQueue,
  JobsConfigurationError,
  JobsExceptionFilter,
  JobsModule,
  UnknownJobTypeError,
} from '../../lib/index.js';
import { deferred } from '../support/deferred.js';
import { NestRecordingLogger } from '../support/app.js';

@Injectable()
class MailService {
  readonly sent: string[] = [];
  @JobHandler('email')
  send(job: Job<{ to: string }>): void {
    this.sent.push(job.payload.to);
  }
}

async function compileModule(imports: unknown[], providers: unknown[] = []) {
  return Test.createTestingModule({ imports: imports as never[], providers: providers as never[] })
    .setLogger(new NestRecordingLogger())
    .compile();
}

describe('a submit made before the application is initialised', () => {
  it('says so, in a test that forgot init() — and works once the app is initialised', async () => {
    const moduleRef = await compileModule([JobsModule.forRoot({ workers: 1, queueSize: 5 })], [MailService]);
    const jobs = moduleRef.get(JobQueue);
    const early = jobs.submit('email', { to: 'ada@example.com' });
    await expect(early).rejects.toBeInstanceOf(UnknownJobTypeError);
    await expect(early).rejects.toThrow(
      'submit("email") was called before the application was initialised: handlers are found when the modules initialise. ' +
        'Submit from onModuleInit or later (not from a constructor), and in tests call await app.init() (or moduleRef.init()) first.',
    );
    await moduleRef.init();
    await expect(jobs.submit('email', { to: 'ada@example.com' })).resolves.toMatchObject({ type: 'email' });
    await moduleRef.close();
  });

  it('says so when a provider submits from its constructor', async () => {
    const refused = deferred<unknown>();
    @Injectable()
    class EagerService {
      constructor(jobs: JobQueue) {
        jobs.submit('email', { to: 'ada@example.com' }).then(refused.resolve, refused.resolve);
      }
    }
    const moduleRef = await compileModule([JobsModule.forRoot({ workers: 1, queueSize: 5 })], [MailService, EagerService]);
    const error = await refused.promise;
    expect(error).toBeInstanceOf(UnknownJobTypeError);
    expect((error as Error).message).toMatch(/^submit\("email"\) was called before the application was initialised/);
    expect((error as Error).message).not.toContain('No @JobHandler was found');
    await moduleRef.close();
  });
});

describe('a submit from onModuleInit', () => {
  it('is accepted: JobsModule is global, so it finds the handlers before the modules that use it initialise', async () => {
    @Injectable()
    class WarmUp {
      submitted: Promise<Job> | undefined;
      constructor(private readonly jobs: JobQueue) {}
      onModuleInit(): void {
        this.submitted = this.jobs.submit('email', { to: 'warm@example.com' });
      }
    }
    @Module({ providers: [WarmUp] })
    class WarmUpModule {}
    const moduleRef = await compileModule([JobsModule.forRoot({ workers: 1, queueSize: 5 }), WarmUpModule], [MailService]);
    await moduleRef.init();
    await expect(moduleRef.get(WarmUp).submitted).resolves.toMatchObject({ type: 'email' });
    await moduleRef.get(JobQueue).onIdle();
    expect(moduleRef.get(MailService).sent).toEqual(['warm@example.com']);
    await moduleRef.close();
  });
});

describe('JobsModule imported twice', () => {
  it('fails the start naming both importing modules when the options differ', async () => {
    @Module({ imports: [JobsModule.forRoot({ workers: 2, queueSize: 50 })] })
    class ReportsModule {}
    @Module({ imports: [JobsModule.forRoot({ workers: 1, queueSize: 5 }), ReportsModule], providers: [MailService] })
    class AppModule {}
    const moduleRef = await compileModule([AppModule]);
    const start = moduleRef.init();
    await expect(start).rejects.toBeInstanceOf(JobsConfigurationError);
    await expect(start).rejects.toThrow(
      'JobsModule.forRoot/forRootAsync is imported 2 times, with different options (by AppModule and by ReportsModule) ' +
        '[workers 1, queueSize 5, driver memory | workers 2, queueSize 50, driver memory]: ' +
        'each import would start its own queue, and JobQueue would come from either. ' +
        'JobsModule is global: import it once, in the root module, and inject JobQueue anywhere.',
    );
  });

  it('starts when two modules import the same forRoot() module (one queue)', async () => {
    const jobsModule = JobsModule.forRoot({ workers: 1, queueSize: 5 });
    @Module({ imports: [jobsModule] })
    class ReportsModule {}
    @Module({ imports: [jobsModule, ReportsModule], providers: [MailService] })
    class AppModule {}
    const moduleRef = await compileModule([AppModule]);
    await moduleRef.init();
    await moduleRef.get(JobQueue).submit('email', { to: 'ada@example.com' });
    await moduleRef.get(JobQueue).onIdle();
    expect(moduleRef.get(MailService).sent).toEqual(['ada@example.com']);
    await moduleRef.close();
  });
});

describe('forRootAsync with values from ConfigService', () => {
  const env = { JOBS_WORKERS: '8', JOBS_QUEUE_SIZE: '100' };

  it('refuses a numeric string, saying to convert it with Number()', async () => {
    const start = compileModule([
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => env] }),
      JobsModule.forRootAsync({
        inject: [ConfigService],
        // The type argument is a promise the environment does not keep: the values are strings.
        useFactory: (config: ConfigService) => ({
          workers: config.getOrThrow<number>('JOBS_WORKERS'),
          queueSize: config.getOrThrow<number>('JOBS_QUEUE_SIZE'),
        }),
      }),
    ]);
    await expect(start).rejects.toBeInstanceOf(JobsConfigurationError);
    await expect(start).rejects.toThrow(
      'JobsModule: option "workers" must be an integer from 1 to 100000, got the string "8": convert it with Number() ' +
        '(values read from ConfigService or process.env are strings).',
    );
  });

  it('starts with the values converted, as the README shows', async () => {
    const moduleRef = await compileModule([
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => env] }),
      JobsModule.forRootAsync({
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          workers: Number(config.getOrThrow('JOBS_WORKERS')),
          queueSize: Number(config.getOrThrow('JOBS_QUEUE_SIZE')),
        }),
      }),
    ]);
    await moduleRef.init();
    expect(moduleRef.get(JobQueue).metrics()).toMatchObject({ workers: 8, queueSize: 100 });
    await moduleRef.close();
  });
});

describe('a schema option that is not a Standard Schema', () => {
  it('fails the start naming the handler and the option', async () => {
    @Injectable()
    class BadSchemaService {
      @JobHandler('email', { schema: { parse: () => true } as never })
      send(): void {}
    }
    const moduleRef = await compileModule([JobsModule.forRoot({ workers: 1, queueSize: 5 })], [BadSchemaService]);
    await expect(moduleRef.init()).rejects.toThrow(
      '@JobHandler("email") on BadSchemaService.send: option "schema" must be a Standard Schema v1 object ' +
        '(one with "~standard.validate", as zod, valibot and arktype schemas have), got an object.',
    );
  });
});

describe('JobsExceptionFilter', () => {
  @Injectable()
  class SignupService {
    readonly gate = deferred();
    @JobHandler('signup', { schema: z.object({ to: z.email() }) })
    async welcome(): Promise<void> {
      await this.gate.promise;
    }
  }

  @Controller('signups')
  class SignupController {
    constructor(private readonly jobs: JobQueue) {}
    @Post('valid')
    valid(): Promise<Job> {
      return this.jobs.submit('signup', { to: 'ada@example.com' });
    }
    @Post('invalid')
    invalid(): Promise<Job> {
      return this.jobs.submit('signup', { to: 'nope' });
    }
    @Post('missing')
    missing(): never {
      throw new NotFoundException('No such signup');
    }
    @Post('bug')
    bug(): never {
      throw new Error('a bug');
    }
  }

  @Controller('filtered')
  @UseFilters(JobsExceptionFilter)
  class FilteredController extends SignupController {}

  const ways = {
    'app.useGlobalFilters(new JobsExceptionFilter())': { controller: SignupController, providers: [], global: true },
    APP_FILTER: { controller: SignupController, providers: [{ provide: APP_FILTER, useClass: JobsExceptionFilter }], global: false },
    '@UseFilters(JobsExceptionFilter)': { controller: FilteredController, providers: [], global: false },
  };

  it.each(Object.entries(ways))('answers with %s: 503 + Retry-After for a full queue, 400 + issues for an invalid job, Nest for the rest', async (_way, setup) => {
    const logger = new NestRecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [JobsModule.forRoot({ workers: 1, queueSize: 1 })],
      controllers: [setup.controller],
      providers: [SignupService, ...setup.providers],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    if (setup.global) app.useGlobalFilters(new JobsExceptionFilter());
    await app.listen(0, '127.0.0.1');
    const base = `${await app.getUrl()}/${setup.controller === FilteredController ? 'filtered' : 'signups'}`;
    const post = (path: string) => fetch(`${base}/${path}`, { method: 'POST' });
    try {
      expect((await post('valid')).status).toBe(201); // runs, held by the gate
      expect((await post('valid')).status).toBe(201); // waits: the queue is now full
      const full = await post('valid');
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('1');
      expect(await full.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/^The queue is full/) });

      const invalid = await post('invalid');
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('retry-after')).toBeNull();
      expect(await invalid.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringContaining('does not match the schema of @JobHandler("signup")'),
        issues: [{ path: ['to'], message: expect.any(String) }],
      });

      const missing = await post('missing');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'No such signup' });
      const bug = await post('bug');
      expect(bug.status).toBe(500);
      expect(await bug.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    } finally {
      app.get(SignupService).gate.resolve();
      await app.close();
    }
  });
});
