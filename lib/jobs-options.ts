import { invalidOption, missingOption, notAnObject, unknownOption } from './engine/engine.messages.js';
import {
  DRIVER_FACTORY_BRAND,
  type DriverOptions,
  type JobsDriverFactory,
  type KeepPolicy,
  type RetentionPolicy,
} from './engine/jobs-driver.js';
import { JobsConfigurationError } from './engine/jobs.errors.js';
import { integerRange, isInteger, MAX_TIMER_MS, MAX_WORKERS } from './engine/limits.js';
import { rateLimitOption } from './engine/rate-limiter.js';
import { type DeclaredSchedule, declaredSchedule } from './engine/schedules.js';
import type { RateLimitOptions } from './interfaces/schedule.interface.js';
import type { BackoffOptions, JobHandlerOptions, JobsModuleOptions, KeepOptions, RetentionOptions } from './interfaces/jobs-options.interface.js';
import { invalidDriver, invalidSchema } from './jobs.messages.js';
import type { JobSchema } from './interfaces/job-schema.interface.js';

/** The module's options with every default applied, checked once at start-up. */
export interface ResolvedJobsOptions extends DriverOptions {
  readonly driver: JobsDriverFactory | undefined;
}

/** The defaults, written down once. */
export const JOBS_DEFAULTS = Object.freeze({
  maxRetries: 3,
  timeout: 30_000,
  backoff: Object.freeze({ delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 }),
  shutdownTimeout: 30_000,
  retention: Object.freeze({
    completed: Object.freeze({ count: 0, age: Infinity }),
    failed: Object.freeze({ count: 1000, age: 7 * 24 * 60 * 60 * 1000 }),
  }),
} as const);

const MODULE_KEYS = ['workers', 'queueSize', 'maxRetries', 'timeout', 'backoff', 'shutdownTimeout', 'retention', 'driver'];
const HANDLER_KEYS = ['maxRetries', 'timeout', 'backoff', 'concurrency', 'retention', 'schema', 'schedule', 'rateLimit'];
const RETENTION_KEYS = ['completed', 'failed'];
const KEEP_KEYS = ['count', 'age'];
const BACKOFF_KEYS = ['delay', 'factor', 'maxDelay', 'jitter'];
const WHERE = 'JobsModule';

/** Ms options: Node cannot arm a timer past MAX_TIMER_MS. */
const MS = MAX_TIMER_MS;
const COUNT = Number.MAX_SAFE_INTEGER;

/** Checks and completes the options of `forRoot` / `forRootAsync`; throws a JobsConfigurationError naming the option. */
export function resolveJobsOptions(raw: unknown): ResolvedJobsOptions {
  const options = record(WHERE, raw, MODULE_KEYS) as Partial<JobsModuleOptions>;
  const driver = options.driver;
  if (driver !== undefined && !isDriverFactory(driver)) throw new JobsConfigurationError(invalidDriver(driver));
  return Object.freeze({
    workers: required(WHERE, 'workers', options.workers, 1, MAX_WORKERS),
    queueSize: required(WHERE, 'queueSize', options.queueSize, 1, COUNT),
    maxRetries: optional(WHERE, 'maxRetries', options.maxRetries, 0, COUNT, JOBS_DEFAULTS.maxRetries),
    timeout: optional(WHERE, 'timeout', options.timeout, 1, MS, JOBS_DEFAULTS.timeout),
    backoff: resolveBackoff(WHERE, options.backoff, JOBS_DEFAULTS.backoff),
    shutdownTimeout: optional(WHERE, 'shutdownTimeout', options.shutdownTimeout, 1, MS, JOBS_DEFAULTS.shutdownTimeout),
    retention: resolveRetention(WHERE, options.retention, JOBS_DEFAULTS.retention),
    driver,
  });
}

/** A handler's options over the module's: what its jobs run with unless `submit` says otherwise. */
export interface ResolvedHandlerOptions {
  maxRetries: number;
  timeout: number;
  backoff: Readonly<BackoffOptions>;
  concurrency: number;
  schema: JobSchema | undefined;
  retention: RetentionPolicy;
  /** The handler's declared schedule (key = type), if any. */
  schedule?: DeclaredSchedule;
  /** Starts per window of this type, if limited. */
  rateLimit?: Readonly<RateLimitOptions>;
}

export function resolveHandlerOptions(where: string, raw: unknown, module: ResolvedJobsOptions): ResolvedHandlerOptions {
  const options = (raw === undefined ? {} : record(where, raw, HANDLER_KEYS)) as JobHandlerOptions;
  const resolved: ResolvedHandlerOptions = {
    maxRetries: optional(where, 'maxRetries', options.maxRetries, 0, COUNT, module.maxRetries),
    timeout: optional(where, 'timeout', options.timeout, 1, MS, module.timeout),
    backoff: resolveBackoff(where, options.backoff, module.backoff),
    concurrency: optional(where, 'concurrency', options.concurrency, 1, COUNT, Infinity),
    schema: resolveSchema(where, options.schema),
    retention: resolveRetention(where, options.retention, module.retention),
  };
  if (options.schedule !== undefined) {
    const schedule = declaredSchedule(where, options.schedule);
    if (typeof schedule === 'string') throw new JobsConfigurationError(schedule);
    resolved.schedule = schedule;
  }
  if (options.rateLimit !== undefined) {
    const rateLimit = rateLimitOption(where, options.rateLimit);
    if (typeof rateLimit === 'string') throw new JobsConfigurationError(rateLimit);
    resolved.rateLimit = rateLimit;
  }
  return resolved;
}

/** A Standard Schema v1 object: anything with a `~standard.validate` function. */
function resolveSchema(where: string, schema: unknown): JobSchema | undefined {
  if (schema === undefined) return undefined;
  const props = typeof schema === 'object' || typeof schema === 'function' ? (schema as Partial<JobSchema> | null)?.['~standard'] : undefined;
  if (typeof props?.validate !== 'function') throw new JobsConfigurationError(invalidSchema(where, schema));
  return schema as JobSchema;
}

function isDriverFactory(value: unknown): value is JobsDriverFactory {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<JobsDriverFactory>)[DRIVER_FACTORY_BRAND] === true &&
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

function required(where: string, name: string, value: unknown, min: number, max: number): number {
  if (value === undefined) throw new JobsConfigurationError(missingOption(where, name, integerRange(min, max)));
  return optional(where, name, value, min, max, 0);
}

function optional(where: string, name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isInteger(value, min, max)) throw new JobsConfigurationError(invalidOption(where, name, value, integerRange(min, max)));
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
    delay: optional(where, 'backoff.delay', given.delay, 0, MS, base.delay),
    factor,
    maxDelay: optional(where, 'backoff.maxDelay', given.maxDelay, 0, MS, base.maxDelay),
    jitter,
  });
}

/** Retention field by field over `base`: a given `failed.count` keeps the base's `failed.age`. */
function resolveRetention(where: string, raw: unknown, base: RetentionPolicy): RetentionPolicy {
  if (raw === undefined) return base;
  const given = record(`${where} option "retention"`, raw, RETENTION_KEYS) as RetentionOptions;
  return Object.freeze({
    completed: resolveKeep(where, 'completed', given.completed, base.completed),
    failed: resolveKeep(where, 'failed', given.failed, base.failed),
  });
}

function resolveKeep(where: string, state: string, raw: unknown, base: KeepPolicy): KeepPolicy {
  if (raw === undefined) return base;
  const given = record(`${where} option "retention.${state}"`, raw, KEEP_KEYS) as KeepOptions;
  return Object.freeze({
    count: optional(where, `retention.${state}.count`, given.count, 0, COUNT, base.count),
    age: optional(where, `retention.${state}.age`, given.age, 1, MS, base.age),
  });
}
