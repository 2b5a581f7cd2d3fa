import { JOBS_DRIVER, type JobsDriverFactory } from './driver/jobs-driver.js';
import type { SubmitOptions } from './interfaces/job.interface.js';
import type { BackoffOptions, JobHandlerOptions, JobsModuleOptions } from './interfaces/jobs-options.interface.js';
import { JobsConfigurationError } from './jobs.errors.js';
import { invalidDriver, invalidJobId, invalidOption, missingOption, notAnObject, unknownOption } from './jobs.messages.js';

/** The module's options with every default applied, checked once at start-up. */
export interface ResolvedJobsOptions {
  readonly workers: number;
  readonly queueSize: number;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly backoff: Readonly<BackoffOptions>;
  readonly shutdownTimeout: number;
  readonly driver: JobsDriverFactory | undefined;
}

/** The defaults, written down once. */
export const JOBS_DEFAULTS = {
  maxRetries: 3,
  timeout: 30_000,
  backoff: { delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 },
  shutdownTimeout: 30_000,
} as const;

export const PRIORITY_MIN = -1_000_000;
export const PRIORITY_MAX = 1_000_000;

const MODULE_KEYS = ['workers', 'queueSize', 'maxRetries', 'timeout', 'backoff', 'shutdownTimeout', 'driver'];
const HANDLER_KEYS = ['maxRetries', 'timeout', 'backoff', 'concurrency'];
const BACKOFF_KEYS = ['delay', 'factor', 'maxDelay', 'jitter'];
const WHERE = 'JobsModule';

const AT_LEAST = (min: number) => `an integer >= ${min}`;

export function isInteger(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks and completes the options of `forRoot` / `forRootAsync`; throws a JobsConfigurationError naming the option. */
export function resolveJobsOptions(raw: unknown): ResolvedJobsOptions {
  const options = record(WHERE, raw, MODULE_KEYS) as Partial<JobsModuleOptions>;
  const driver = options.driver;
  if (driver !== undefined && !isDriverFactory(driver)) throw new JobsConfigurationError(invalidDriver(driver));
  return Object.freeze({
    workers: required(WHERE, 'workers', options.workers, 1),
    queueSize: required(WHERE, 'queueSize', options.queueSize, 1),
    maxRetries: optional(WHERE, 'maxRetries', options.maxRetries, 0, JOBS_DEFAULTS.maxRetries),
    timeout: optional(WHERE, 'timeout', options.timeout, 1, JOBS_DEFAULTS.timeout),
    backoff: resolveBackoff(WHERE, options.backoff, JOBS_DEFAULTS.backoff),
    shutdownTimeout: optional(WHERE, 'shutdownTimeout', options.shutdownTimeout, 1, JOBS_DEFAULTS.shutdownTimeout),
    driver,
  });
}

/** A handler's options over the module's: what its jobs run with unless `submit` says otherwise. */
export interface ResolvedHandlerOptions {
  maxRetries: number;
  timeout: number;
  backoff: Readonly<BackoffOptions>;
  concurrency: number;
}

export function resolveHandlerOptions(where: string, raw: unknown, module: ResolvedJobsOptions): ResolvedHandlerOptions {
  const options = (raw === undefined ? {} : record(where, raw, HANDLER_KEYS)) as JobHandlerOptions;
  return {
    maxRetries: optional(where, 'maxRetries', options.maxRetries, 0, module.maxRetries),
    timeout: optional(where, 'timeout', options.timeout, 1, module.timeout),
    backoff: resolveBackoff(where, options.backoff, module.backoff),
    concurrency: optional(where, 'concurrency', options.concurrency, 1, Infinity),
  };
}

/**
 * Checks `submit` options; returns what is wrong, or undefined. Called only
 * when options are given, and allocates nothing when they are fine.
 */
export function checkSubmitOptions(options: SubmitOptions): string | undefined {
  if (typeof options !== 'object' || options === null) return notAnObject('submit', options);
  const { id, priority, maxRetries, timeout, delay } = options;
  if (id !== undefined && !isValidJobId(id)) return invalidJobId(id);
  if (priority !== undefined && !isInteger(priority, PRIORITY_MIN, PRIORITY_MAX)) {
    return invalidOption('submit', 'priority', priority, `an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`);
  }
  if (maxRetries !== undefined && !isInteger(maxRetries, 0)) return invalidOption('submit', 'maxRetries', maxRetries, AT_LEAST(0));
  if (timeout !== undefined && !isInteger(timeout, 1)) return invalidOption('submit', 'timeout', timeout, AT_LEAST(1));
  if (delay !== undefined && !isInteger(delay, 0)) return invalidOption('submit', 'delay', delay, AT_LEAST(0));
  for (const key in options) {
    if (!SUBMIT_KEYS.has(key)) return unknownOption('submit', key, [...SUBMIT_KEYS]);
  }
  return undefined;
}

const SUBMIT_KEYS = new Set(['id', 'priority', 'maxRetries', 'timeout', 'delay']);
const JOB_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Ids every driver can carry: 1–128 of `A-Z a-z 0-9 _ . -`, not all digits. */
export function isValidJobId(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID.test(id) && !ALL_DIGITS.test(id);
}

function isDriverFactory(value: unknown): value is JobsDriverFactory {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<JobsDriverFactory>)[JOBS_DRIVER] === true &&
    typeof (value as Partial<JobsDriverFactory>).create === 'function'
  );
}

function record(where: string, raw: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JobsConfigurationError(notAnObject(where, raw));
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new JobsConfigurationError(unknownOption(where, key, known));
  }
  return raw as Record<string, unknown>;
}

function required(where: string, name: string, value: unknown, min: number): number {
  if (value === undefined) throw new JobsConfigurationError(missingOption(where, name, AT_LEAST(min)));
  return optional(where, name, value, min, 0);
}

function optional(where: string, name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isInteger(value, min)) throw new JobsConfigurationError(invalidOption(where, name, value, AT_LEAST(min)));
  return value;
}

function resolveBackoff(where: string, raw: unknown, base: Readonly<BackoffOptions>): Readonly<BackoffOptions> {
  if (raw === undefined) return base;
  const given = record(`${where} option "backoff"`, raw, BACKOFF_KEYS) as Partial<BackoffOptions>;
  const factor = given.factor ?? base.factor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new JobsConfigurationError(invalidOption(where, 'backoff.factor', factor, 'a finite number >= 1'));
  }
  const jitter = given.jitter ?? base.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new JobsConfigurationError(invalidOption(where, 'backoff.jitter', jitter, 'a number from 0 to 1'));
  }
  return Object.freeze({
    delay: optional(where, 'backoff.delay', given.delay, 0, base.delay),
    factor,
    maxDelay: optional(where, 'backoff.maxDelay', given.maxDelay, 0, base.maxDelay),
    jitter,
  });
}
