import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { JobEvent, JobsModuleOptions } from '../../lib/index.js';
import { JobQueue, JobsModule } from '../../lib/index.js';
import type { DriverFixture } from './drivers.js';
import { memoryDriver } from './drivers.js';

/** Nest's logger seam, keeping every line for assertions (and the test output quiet). */
export class NestRecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string; context?: string }> = [];
  #push(level: string, message: unknown, rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    this.lines.push({ level, message: String(message), context });
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.#push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.#push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.#push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.#push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.#push('verbose', message, rest);
  }
  at(level: string): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

export interface TestApp {
  app: INestApplication;
  jobs: JobQueue;
  events: JobEvent[];
  logger: NestRecordingLogger;
  /** The kinds of events a job went through, in order. */
  kindsOf(id: string): string[];
  /** Resolves with the first event matching, from now or already seen. */
  nextEvent(match: (event: JobEvent) => boolean): Promise<JobEvent>;
  close(): Promise<void>;
}

/**
 * A user's application on the given driver: JobsModule.forRoot plus the
 * providers and modules a scenario needs, initialised (workers running).
 */
export async function startApp(
  options: JobsModuleOptions,
  metadata: ModuleMetadata = {},
  fixture: DriverFixture = memoryDriver,
  restart = false,
): Promise<TestApp> {
  const logger = new NestRecordingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JobsModule.forRoot(fixture.moduleOptions(options, restart)), ...(metadata.imports ?? [])],
    providers: metadata.providers ?? [],
    controllers: metadata.controllers ?? [],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  const jobs = app.get(JobQueue);
  const events: JobEvent[] = [];
  const listeners: Array<{ match: (event: JobEvent) => boolean; resolve: (event: JobEvent) => void }> = [];
  jobs.events$.subscribe((event) => {
    events.push(event);
    for (let i = listeners.length - 1; i >= 0; i--) {
      if (listeners[i].match(event)) listeners.splice(i, 1)[0].resolve(event);
    }
  });
  await app.init();
  return {
    app,
    jobs,
    events,
    logger,
    kindsOf: (id) => events.filter((event) => event.job.id === id).map((event) => event.kind),
    nextEvent: (match) => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => listeners.push({ match, resolve }));
    },
    close: () => app.close(),
  };
}
