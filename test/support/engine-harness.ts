import { JobKernel } from '../../lib/engine/job-kernel.js';
import { JobMonitor } from '../../lib/engine/job-monitor.js';
import type { HandlerLookup, RegisteredHandler } from '../../lib/engine/jobs-driver.js';
import type { JobsLogger } from '../../lib/engine/jobs-logger.js';
import { MemoryJobsDriver } from '../../lib/memory/memory-jobs.driver.js';
import type { Job, JobEvent, JobHandlerFn, JobHandlerOptions, JobsModuleOptions, SubmitOptions } from '../../lib/index.js';
import { resolveHandlerOptions, resolveJobsOptions } from '../../lib/jobs-options.js';
import { FakeClock } from './fake-clock.js';

export interface LogLine {
  level: keyof JobsLogger;
  message: string;
}

/** A logger that keeps what it is told, for assertions. */
export class RecordingLogger implements JobsLogger {
  readonly lines: LogLine[] = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  at(level: keyof JobsLogger): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }
}

export interface HandlerSpec {
  fn: JobHandlerFn;
  options?: JobHandlerOptions;
}

/**
 * The kernel on the in-memory driver and a fake clock, with handlers given as
 * plain functions: what the Nest glue would register, without an application.
 */
export function createEngine(
  options: Partial<JobsModuleOptions> & { handlers: Record<string, JobHandlerFn | HandlerSpec> },
  tuning: { random?: () => number; signalGranularityMs?: number } = {},
) {
  const { handlers: specs, ...moduleOptions } = options;
  const resolved = resolveJobsOptions({ workers: 1, queueSize: 100, ...moduleOptions });
  const byType = new Map<string, RegisteredHandler>();
  for (const [type, spec] of Object.entries(specs)) {
    const { fn, options: handlerOptions } = typeof spec === 'function' ? { fn: spec, options: undefined } : spec;
    byType.set(type, {
      index: byType.size,
      type,
      name: `Test.${type}`,
      invoke: fn,
      ...resolveHandlerOptions(`handler ${type}`, handlerOptions, resolved),
    });
  }
  const handlers: HandlerLookup = { get: (type) => byType.get(type), all: () => [...byType.values()] };
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const monitor = new JobMonitor(logger);
  const events: JobEvent[] = [];
  monitor.events$.subscribe((event) => events.push(event));
  const random = tuning.random ?? (() => 0.5);
  const engine = new MemoryJobsDriver({ options: resolved, handlers, monitor, logger, clock, random }, tuning);
  const kernel = new JobKernel(resolved, handlers, monitor, engine);
  kernel.handlersFound();

  return {
    engine,
    kernel,
    clock,
    logger,
    monitor,
    events,
    /** Submits through the kernel, as JobQueue does. */
    submit(type: string, payload: unknown = {}, submitOptions?: SubmitOptions): Promise<Job> {
      if (!byType.has(type)) throw new Error(`test set-up: no handler ${type}`);
      return kernel.submit(type, payload, submitOptions);
    },
    /** The kinds of events a job went through, in order. */
    kindsOf(id: string): string[] {
      return events.filter((event) => event.job.id === id).map((event) => event.kind);
    },
  };
}
