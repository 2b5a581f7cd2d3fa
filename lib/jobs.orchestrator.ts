import {
  ConsoleLogger,
  Inject,
  Injectable,
  Logger,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { JobKernel } from './engine/job-kernel.js';
import { JOBS_KERNEL, JOBS_LOGGER_CONTEXT } from './jobs.constants.js';
import { JobsExplorer } from './jobs.explorer.js';
import { noShutdownHooks } from './jobs.messages.js';

/**
 * Ties the engine to Nest's lifecycle: handlers are found at module init,
 * workers start at bootstrap, and the drain runs in `onModuleDestroy` — the
 * first shutdown phase, so before the HTTP server closes and before every
 * `onApplicationShutdown` hook (where ORM integrations close connections).
 */
@Injectable()
export class JobsOrchestrator implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  readonly #logger = new Logger(JOBS_LOGGER_CONTEXT);
  #hooksCheck: NodeJS.Immediate | undefined;

  constructor(
    private readonly explorer: JobsExplorer,
    @Inject(JOBS_KERNEL) private readonly kernel: JobKernel,
  ) {}

  onModuleInit(): void {
    this.explorer.explore();
    this.kernel.handlersFound();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.kernel.monitor.setDebug(printsDebug(this.#logger));
    await this.kernel.start();
    this.#logger.debug('Workers started');
    // Apps enable shutdown hooks after bootstrap (right after
    // createApplicationContext resolves, or before listen), so look a turn later.
    this.#hooksCheck = setImmediate(() => {
      this.#hooksCheck = undefined;
      if (process.listenerCount('SIGTERM') === 0) this.#logger.warn(noShutdownHooks());
    });
  }

  async onModuleDestroy(): Promise<void> {
    if (this.#hooksCheck !== undefined) clearImmediate(this.#hooksCheck);
    this.#hooksCheck = undefined;
    this.#logger.debug('Draining');
    await this.kernel.close();
    this.#logger.debug('Drained');
  }
}

/**
 * Whether `logger.debug` prints: Nest hands the line to a ConsoleLogger, which
 * filters by its levels, or to a custom logger, which gets every line. (Nest
 * 11's static `Logger.isLevelEnabled` answers false until levels are set
 * explicitly, so it cannot tell.)
 */
function printsDebug(logger: Logger): boolean {
  const target = logger.localInstance as LoggerService | undefined;
  if (target instanceof ConsoleLogger) return target.isLevelEnabled('debug');
  return typeof target?.debug === 'function';
}
