import { Controller, Get, Global, Inject, Injectable, Module, type OnApplicationShutdown, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import {
  type Job,
  JobHandler,
  JobQueue,
  JobsConfigurationError,
  JobsModule,
  type JobsModuleOptions,
  type JobsOptionsFactory,
} from '../../lib/index.js';
import { deferred, flush } from '../support/deferred.js';
import { NestRecordingLogger, startApp } from '../support/app.js';

@Injectable()
class MailService {
  readonly sent: string[] = [];
  @JobHandler('email')
  async send(job: Job<{ to: string }>): Promise<void> {
    this.sent.push(job.payload.to);
  }
}

async function compile(imports: unknown[], providers: unknown[] = []) {
  const logger = new NestRecordingLogger();
  const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.init();
  return { app, logger, jobs: app.get(JobQueue) };
}

const badOptions: Array<[string, unknown, string]> = [
  ['no options object', undefined, 'JobsModule: options must be an object, got undefined.'],
  ['workers missing', { queueSize: 10 }, 'JobsModule: option "workers" is required; set it to an integer from 1 to 100000.'],
  ['queueSize missing', { workers: 1 }, 'JobsModule: option "queueSize" is required; set it to an integer >= 1.'],
  ['workers 0', { workers: 0, queueSize: 1 }, 'JobsModule: option "workers" must be an integer from 1 to 100000, got 0.'],
  ['workers fractional', { workers: 2.5, queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got 2.5.'],
  ['workers NaN', { workers: Number.NaN, queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got NaN.'],
  ['workers as a string', { workers: '4', queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got the string "4": convert it with Number()'],
  ['workers as a word', { workers: 'four', queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got "four".'],
  ['queueSize Infinity', { workers: 1, queueSize: Infinity }, 'option "queueSize" must be an integer >= 1, got Infinity.'],
  ['maxRetries negative', { workers: 1, queueSize: 1, maxRetries: -1 }, 'option "maxRetries" must be an integer >= 0, got -1.'],
  ['timeout 0', { workers: 1, queueSize: 1, timeout: 0 }, 'option "timeout" must be an integer from 1 to 2147483647, got 0.'],
  ['shutdownTimeout null', { workers: 1, queueSize: 1, shutdownTimeout: null }, 'option "shutdownTimeout" must be an integer from 1 to 2147483647, got null.'],
  ['backoff.factor below 1', { workers: 1, queueSize: 1, backoff: { factor: 0.5 } }, 'option "backoff.factor" must be a finite number >= 1, got 0.5.'],
  ['backoff.jitter above 1', { workers: 1, queueSize: 1, backoff: { jitter: 2 } }, 'option "backoff.jitter" must be a number from 0 to 1, got 2.'],
  ['backoff.delay negative', { workers: 1, queueSize: 1, backoff: { delay: -5 } }, 'option "backoff.delay" must be an integer from 0 to 2147483647, got -5.'],
  // Node fires a timer of 2^31 ms or more after 1 ms: every ms option stops at 2^31 − 1.
  ['timeout 2^31', { workers: 1, queueSize: 1, timeout: 2 ** 31 }, 'option "timeout" must be an integer from 1 to 2147483647, got 2147483648.'],
  ['shutdownTimeout 2^31', { workers: 1, queueSize: 1, shutdownTimeout: 2 ** 31 }, 'option "shutdownTimeout" must be an integer from 1 to 2147483647, got 2147483648.'],
  ['backoff.maxDelay 1e10', { workers: 1, queueSize: 1, backoff: { maxDelay: 1e10 } }, 'option "backoff.maxDelay" must be an integer from 0 to 2147483647, got 10000000000.'],
  // Slots are cheap but not free: a bound that names the option beats running out of memory.
  ['workers 1e7', { workers: 1e7, queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got 10000000.'],
  ['workers 1e10', { workers: 1e10, queueSize: 1 }, 'option "workers" must be an integer from 1 to 100000, got 10000000000.'],
  ['backoff unknown key', { workers: 1, queueSize: 1, backoff: { base: 5 } }, 'unknown option "base". Known options: delay, factor, maxDelay, jitter.'],
  ['an unknown option', { workers: 1, queueSize: 1, worker: 3 }, 'JobsModule: unknown option "worker". Known options: workers, queueSize,'],
  ['driver as a string', { workers: 1, queueSize: 1, driver: 'bullmq' }, 'option "driver" must be a driver made by its subpath\'s factory'],
  ['driver as a plain object', { workers: 1, queueSize: 1, driver: { create() {} } }, 'got an object.'],
];

describe('JobsModule options', () => {
  it.each(badOptions)('fails the start on %s, naming the option and the value', async (_name, options, message) => {
    const start = compile([JobsModule.forRoot(options as JobsModuleOptions)]);
    await expect(start).rejects.toThrow(JobsConfigurationError);
    await expect(compile([JobsModule.forRoot(options as JobsModuleOptions)])).rejects.toThrow(message);
  });

  it('fails the start on a bad @JobHandler option, naming the handler', async () => {
    @Injectable()
    class Bad {
      @JobHandler('x', { concurrency: 0 })
      run(): void {}
    }
    await expect(compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })], [Bad])).rejects.toThrow(
      '@JobHandler("x") on Bad.run: option "concurrency" must be an integer >= 1, got 0.',
    );
  });

  it('fails the start on an empty job type', async () => {
    @Injectable()
    class Bad {
      @JobHandler('')
      run(): void {}
    }
    await expect(compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })], [Bad])).rejects.toThrow(
      '@JobHandler on Bad.run: the job type must be a non-empty string, got "".',
    );
  });
});

describe('JobsModule.forRootAsync', () => {
  @Injectable()
  class Config {
    readonly workers = 4;
  }
  @Module({ providers: [Config], exports: [Config] })
  class ConfigModule {}

  @Injectable()
  class JobsConfig implements JobsOptionsFactory {
    constructor(private readonly config: Config) {}
    createJobsOptions(): JobsModuleOptions {
      return { workers: this.config.workers, queueSize: 9 };
    }
  }
  @Module({ imports: [ConfigModule], providers: [JobsConfig], exports: [JobsConfig] })
  class JobsConfigModule {}

  const variants: Array<[string, () => unknown]> = [
    [
      'useFactory with inject',
      () =>
        JobsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [Config],
          useFactory: async (config: Config) => ({ workers: config.workers, queueSize: 9 }),
        }),
    ],
    ['useClass', () => JobsModule.forRootAsync({ imports: [ConfigModule], useClass: JobsConfig })],
    ['useExisting', () => JobsModule.forRootAsync({ imports: [JobsConfigModule], useExisting: JobsConfig })],
  ];

  it.each(variants)('takes options from %s', async (_name, jobsModule) => {
    const { app, jobs } = await compile([jobsModule()], [MailService]);
    expect(jobs.metrics()).toMatchObject({ workers: 4, queueSize: 9 });
    await jobs.submit('email', { to: 'a@example.com' });
    await jobs.onIdle();
    expect(app.get(MailService).sent).toEqual(['a@example.com']);
    await app.close();
  });

  it('checks options from a factory just as strictly', async () => {
    const start = compile([JobsModule.forRootAsync({ useFactory: () => ({ workers: 0, queueSize: 1 }) })]);
    await expect(start).rejects.toThrow('JobsModule: option "workers" must be an integer from 1 to 100000, got 0.');
  });
});

describe('handler discovery', () => {
  it('fails the start when two handlers claim one type, naming both classes', async () => {
    @Injectable()
    class OtherMailer {
      @JobHandler('email')
      deliver(): void {}
    }
    await expect(compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })], [MailService, OtherMailer])).rejects.toThrow(
      'Two handlers for job type "email": MailService.send and OtherMailer.deliver. Keep one @JobHandler("email") per application.',
    );
  });

  it('fails the start for a handler on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @JobHandler('scoped')
      run(): void {}
    }
    await expect(compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })], [PerRequest])).rejects.toThrow(
      '@JobHandler("scoped") on PerRequest.run: the provider is request-scoped (itself or through a dependency), but a job has no request to scope it to.',
    );
  });

  it('fails the start for a handler on a transient provider', async () => {
    @Injectable({ scope: Scope.TRANSIENT })
    class Transient {
      @JobHandler('transient')
      run(): void {}
    }
    await expect(compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })], [Transient])).rejects.toThrow(
      'the provider is transient, but a job has no request',
    );
  });

  it('registers a handler once even when an alias (useExisting) points at its provider', async () => {
    const { app, jobs } = await compile(
      [JobsModule.forRoot({ workers: 1, queueSize: 5 })],
      [MailService, { provide: 'MAILER', useExisting: MailService }],
    );
    await jobs.submit('email', { to: 'once@example.com' });
    await jobs.onIdle();
    expect(app.get(MailService).sent).toEqual(['once@example.com']);
    await app.close();
  });

  it('finds handlers on factory-made and value providers, and on controllers', async () => {
    @Controller()
    class HooksController {
      readonly seen: string[] = [];
      @JobHandler('webhook')
      handle(job: Job<string>): void {
        this.seen.push(job.payload);
      }
    }
    class Factory {
      readonly seen: string[] = [];
      @JobHandler('made')
      handle(job: Job<string>): void {
        this.seen.push(job.payload);
      }
    }
    const logger = new NestRecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [JobsModule.forRoot({ workers: 2, queueSize: 5 })],
      controllers: [HooksController],
      providers: [{ provide: 'FACTORY', useFactory: () => new Factory() }],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    const jobs = app.get(JobQueue);
    await jobs.submit('webhook', 'w');
    await jobs.submit('made', 'm');
    await jobs.onIdle();
    expect(app.get(HooksController).seen).toEqual(['w']);
    expect(app.get<Factory>('FACTORY').seen).toEqual(['m']);
    await app.close();
  });
});

describe('lifecycle', () => {
  it('warns a turn after start-up when no shutdown hooks are enabled', async () => {
    const { app, logger } = await compile([JobsModule.forRoot({ workers: 1, queueSize: 1 })]);
    await flush();
    expect(logger.lines).toContainEqual({
      level: 'warn',
      context: 'JobsModule',
      message: expect.stringContaining('Shutdown hooks are not enabled, so SIGTERM ends the process without draining running jobs.'),
    });
    await app.close();
  });

  it('does not warn when the app enables shutdown hooks right after start-up', async () => {
    const logger = new NestRecordingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [JobsModule.forRoot({ workers: 1, queueSize: 1 })] })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    await app.init();
    app.enableShutdownHooks();
    await flush();
    expect(logger.at('warn')).toEqual([]);
    await app.close();
  });

  it('drains before onApplicationShutdown hooks close resources (as ORM integrations do) and while HTTP still answers', async () => {
    const log: string[] = [];

    /** Like TypeORM's module: global, closes its connection in onApplicationShutdown. */
    @Injectable()
    class Database implements OnApplicationShutdown {
      open = true;
      query(sql: string): string {
        if (!this.open) throw new Error('connection closed');
        log.push(`query ${sql}`);
        return 'rows';
      }
      onApplicationShutdown(): void {
        log.push('database closed');
        this.open = false;
      }
    }
    @Global()
    @Module({ providers: [Database], exports: [Database] })
    class DatabaseModule {}

    const gate = deferred();
    @Injectable()
    class ReportService {
      constructor(@Inject(Database) private readonly db: Database) {}
      @JobHandler('report')
      async run(): Promise<void> {
        await gate.promise;
        this.db.query('select 1');
      }
    }

    @Controller('ping')
    class PingController {
      @Get()
      ping(): string {
        return 'pong';
      }
    }

    const t = await startApp({ workers: 1, queueSize: 5 }, { imports: [DatabaseModule], providers: [ReportService], controllers: [PingController] });
    await t.app.listen(0, '127.0.0.1');
    const url = `${await t.app.getUrl()}/ping`.replace('[::1]', '127.0.0.1');
    const job = await t.jobs.submit('report', {});
    await t.nextEvent((event) => event.kind === 'started' && event.job.id === job.id);
    const closing = t.close();
    await flush();
    // Mid-drain: the HTTP server still serves.
    const response = await fetch(url);
    expect(await response.text()).toBe('pong');
    gate.resolve();
    await closing;
    expect(t.kindsOf(job.id)).toEqual(['submitted', 'started', 'completed']);
    expect(log).toEqual(['query select 1', 'database closed']);
  });
});
