import type { JobsModuleOptions } from 'nestjs-jobs';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';

/** How `AppModule.register()` builds the sample: `main.ts` reads them from the environment, tests pass their own. */
export interface SampleOptions {
  /** Module options over the sample's defaults (4 workers, queue of 100, 10 s drain). */
  jobs?: Partial<JobsModuleOptions>;
  /** Submit a steady mix of jobs (the demo producer). */
  demo?: boolean;
  /** Print a progress line every second. */
  progress?: boolean;
  /** Print one machine-readable line per job outcome: `job-outcome <kind> <id>`. */
  trace?: boolean;
  /** The Prometheus registry served at GET /metrics; a fresh one when absent. */
  registry?: Registry;
  /** Where the sample's own lines go; standard output when absent. */
  print?: (line: string) => void;
  /** The token the dashboard at /dashboard asks for (`?token=` or `Authorization: Bearer`); a random one when absent. */
  dashboardToken?: string;
}

export type ResolvedSampleOptions = Required<Omit<SampleOptions, 'jobs'>> & { jobs: JobsModuleOptions };

export const SAMPLE_OPTIONS = Symbol('sample:options');

export const SAMPLE_JOB_DEFAULTS = { workers: 4, queueSize: 100, shutdownTimeout: 10_000 } as const;

/** Reads PORT-style settings: JOBS_DEMO=0 turns the producer off, JOBS_TRACE=1 prints outcomes, and so on. */
export function sampleOptionsFromEnv(env: NodeJS.ProcessEnv): SampleOptions {
  const jobs: Partial<JobsModuleOptions> = {};
  const workers = integer(env.JOBS_WORKERS);
  const queueSize = integer(env.JOBS_QUEUE_SIZE);
  const shutdownTimeout = integer(env.JOBS_SHUTDOWN_TIMEOUT);
  if (workers !== undefined) jobs.workers = workers;
  if (queueSize !== undefined) jobs.queueSize = queueSize;
  if (shutdownTimeout !== undefined) jobs.shutdownTimeout = shutdownTimeout;
  return {
    jobs,
    demo: env.JOBS_DEMO !== '0',
    progress: env.JOBS_PROGRESS !== '0',
    trace: env.JOBS_TRACE === '1',
    dashboardToken: env.DASHBOARD_TOKEN || undefined,
  };
}

/** A token for the dashboard when DASHBOARD_TOKEN is not set: printed at start-up, new at every start. */
export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}

// Left to the module's validation, which names the option and the value.
function integer(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}
