import { describe, expect, it } from '@jest/globals';
import { DRIVER_FACTORY_BRAND } from '../../../lib/engine/jobs-driver.js';
import { JobsConfigurationError } from '../../../lib/engine/jobs.errors.js';
import { JOBS_DEFAULTS, resolveHandlerOptions, resolveJobsOptions } from '../../../lib/jobs-options.js';
import { memoryDriver } from '../../../lib/memory/index.js';

const MAX_MS = 2_147_483_647;
const REQUIRED = { workers: 2, queueSize: 10 };
const HANDLER = 'MailService.send';

/** The message of the JobsConfigurationError that `resolve` throws; fails the test if it throws none. */
function configError(resolve: () => unknown): string {
  try {
    resolve();
  } catch (error) {
    expect(error).toBeInstanceOf(JobsConfigurationError);
    expect((error as Error).name).toBe('JobsConfigurationError');
    return (error as Error).message;
  }
  throw new Error('expected a JobsConfigurationError');
}

const moduleError = (options: unknown) => configError(() => resolveJobsOptions(options));
const handlerError = (options: unknown) => configError(() => resolveHandlerOptions(HANDLER, options, resolveJobsOptions(REQUIRED)));

describe('resolveJobsOptions', () => {
  it('applies the defaults to what is left out, and freezes the result', () => {
    const resolved = resolveJobsOptions(REQUIRED);
    expect(resolved).toEqual({
      workers: 2,
      queueSize: 10,
      maxRetries: 3,
      timeout: 30_000,
      backoff: { delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 },
      shutdownTimeout: 30_000,
      retention: { completed: { count: 0, age: Infinity }, failed: { count: 1000, age: 604_800_000 } },
      driver: undefined,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    // The defaults are shared by every app in the process: nobody may change them through one app's options.
    expect(Object.isFrozen(resolved.backoff)).toBe(true);
  });

  it('keeps what is given, and merges a partial backoff over the defaults field by field', () => {
    const resolved = resolveJobsOptions({ ...REQUIRED, maxRetries: 0, timeout: 5, shutdownTimeout: 7, backoff: { delay: 0, jitter: 0.5 } });
    expect(resolved).toMatchObject({ maxRetries: 0, timeout: 5, shutdownTimeout: 7 });
    expect(resolved.backoff).toEqual({ delay: 0, factor: 2, maxDelay: 300_000, jitter: 0.5 });
    expect(Object.isFrozen(resolved.backoff)).toBe(true);
  });

  it('requires workers and queueSize', () => {
    expect(moduleError({ queueSize: 1 })).toBe('JobsModule: option "workers" is required; set it to an integer from 1 to 100000.');
    expect(moduleError({ workers: 1 })).toBe(
      'JobsModule: option "queueSize" is required; set it to an integer >= 1.',
    );
  });

  it('bounds workers at 100000', () => {
    expect(resolveJobsOptions({ ...REQUIRED, workers: 100_000 }).workers).toBe(100_000);
    expect(moduleError({ ...REQUIRED, workers: 100_001 })).toBe(
      'JobsModule: option "workers" must be an integer from 1 to 100000, got 100001.',
    );
    expect(moduleError({ ...REQUIRED, workers: 0 })).toBe('JobsModule: option "workers" must be an integer from 1 to 100000, got 0.');
  });

  it.each([
    ['timeout', 1],
    ['shutdownTimeout', 1],
  ])('bounds %s at 2147483647 ms', (option, min) => {
    expect(resolveJobsOptions({ ...REQUIRED, [option]: MAX_MS })).toMatchObject({ [option]: MAX_MS });
    expect(moduleError({ ...REQUIRED, [option]: MAX_MS + 1 })).toBe(
      `JobsModule: option "${option}" must be an integer from ${min} to ${MAX_MS}, got 2147483648.`,
    );
  });

  it.each(['delay', 'maxDelay'])('bounds backoff.%s at 2147483647 ms', (field) => {
    expect(resolveJobsOptions({ ...REQUIRED, backoff: { [field]: MAX_MS } }).backoff).toMatchObject({ [field]: MAX_MS });
    expect(moduleError({ ...REQUIRED, backoff: { [field]: MAX_MS + 1 } })).toBe(
      `JobsModule: option "backoff.${field}" must be an integer from 0 to ${MAX_MS}, got 2147483648.`,
    );
  });

  it.each([
    ['workers', 1.5, 'an integer from 1 to 100000', '1.5'],
    ['queueSize', 0, 'an integer >= 1', '0'],
    ['queueSize', Number.NaN, 'an integer >= 1', 'NaN'],
    ['maxRetries', -1, 'an integer >= 0', '-1'],
    ['maxRetries', '3', 'an integer >= 0', 'the string "3": convert it with Number() (values read from ConfigService or process.env are strings)'],
    ['maxRetries', 'three', 'an integer >= 0', '"three"'],
    ['timeout', 0, `an integer from 1 to ${MAX_MS}`, '0'],
    ['shutdownTimeout', Infinity, `an integer from 1 to ${MAX_MS}`, 'Infinity'],
  ])('refuses %s %p, naming the option and the value', (option, value, expected, shown) => {
    expect(moduleError({ ...REQUIRED, [option]: value })).toBe(`JobsModule: option "${option}" must be ${expected}, got ${shown}.`);
  });

  it.each([
    [{ factor: 0.5 }, 'backoff.factor', 'a finite number >= 1', '0.5'],
    [{ factor: Infinity }, 'backoff.factor', 'a finite number >= 1', 'Infinity'],
    [{ factor: '2' }, 'backoff.factor', 'a finite number >= 1', 'the string "2": convert it with Number() (values read from ConfigService or process.env are strings)'],
    [{ jitter: -0.1 }, 'backoff.jitter', 'a number from 0 to 1', '-0.1'],
    [{ jitter: 1.1 }, 'backoff.jitter', 'a number from 0 to 1', '1.1'],
    [{ jitter: Number.NaN }, 'backoff.jitter', 'a number from 0 to 1', 'NaN'],
    [{ delay: -1 }, 'backoff.delay', `an integer from 0 to ${MAX_MS}`, '-1'],
  ])('refuses backoff %p', (backoff, option, expected, shown) => {
    expect(moduleError({ ...REQUIRED, backoff })).toBe(`JobsModule: option "${option}" must be ${expected}, got ${shown}.`);
  });

  it('refuses unknown keys, at the top and in backoff', () => {
    expect(moduleError({ ...REQUIRED, concurency: 2 })).toBe(
      'JobsModule: unknown option "concurency". Known options: workers, queueSize, maxRetries, timeout, backoff, shutdownTimeout, retention, driver.',
    );
    expect(moduleError({ ...REQUIRED, backoff: { max: 5 } })).toBe(
      'JobsModule option "backoff": unknown option "max". Known options: delay, factor, maxDelay, jitter.',
    );
  });

  it('refuses options that are not an object', () => {
    expect(moduleError(undefined)).toBe('JobsModule: options must be an object, got undefined.');
    expect(moduleError(null)).toBe('JobsModule: options must be an object, got null.');
    expect(moduleError([2, 10])).toBe('JobsModule: options must be an object, got an array.');
    expect(moduleError({ ...REQUIRED, backoff: 1000 })).toBe('JobsModule option "backoff": options must be an object, got 1000.');
  });

  it('takes a driver made by a factory, and nothing else as driver', () => {
    const driver = memoryDriver();
    expect(resolveJobsOptions({ ...REQUIRED, driver }).driver).toBe(driver);
    const lookalike = { name: 'memory', create: () => ({}) };
    const brandedWithoutCreate = { [DRIVER_FACTORY_BRAND]: true, name: 'x' };
    for (const [value, shown] of [
      [lookalike, 'an object'],
      [brandedWithoutCreate, 'an object'],
      [memoryDriver, 'a function (memoryDriver)'],
      ['bullmq', '"bullmq"'],
      [null, 'null'],
    ] as const) {
      const message = moduleError({ ...REQUIRED, driver: value });
      expect(message).toMatch(/^JobsModule: option "driver" must be a driver made by its subpath's factory/);
      expect(message).toMatch(new RegExp(`got ${shown.replace(/[()]/g, '\\$&')}\\.$`));
    }
  });
});

describe('resolveHandlerOptions', () => {
  const module = resolveJobsOptions({
    ...REQUIRED,
    maxRetries: 4,
    timeout: 2000,
    backoff: { delay: 500, factor: 3, maxDelay: 9000, jitter: 0.2 },
  });

  it('takes the module’s options, and no concurrency limit, when the handler gives none', () => {
    const expected = { maxRetries: 4, timeout: 2000, backoff: module.backoff, concurrency: Infinity, retention: module.retention };
    expect(resolveHandlerOptions(HANDLER, undefined, module)).toEqual(expected);
    expect(resolveHandlerOptions(HANDLER, {}, module)).toEqual(expected);
  });

  it.each([
    [{ maxRetries: 0 }, { maxRetries: 0, timeout: 2000, concurrency: Infinity }],
    [{ timeout: 1 }, { maxRetries: 4, timeout: 1, concurrency: Infinity }],
    [{ concurrency: 3 }, { maxRetries: 4, timeout: 2000, concurrency: 3 }],
  ])('puts the handler’s %p over the module’s', (options, expected) => {
    const resolved = resolveHandlerOptions(HANDLER, options, module);
    expect(resolved).toEqual({ ...expected, backoff: module.backoff, retention: module.retention });
  });

  it.each([
    [{ delay: 0 }, { delay: 0, factor: 3, maxDelay: 9000, jitter: 0.2 }],
    [{ factor: 1 }, { delay: 500, factor: 1, maxDelay: 9000, jitter: 0.2 }],
    [{ maxDelay: 100 }, { delay: 500, factor: 3, maxDelay: 100, jitter: 0.2 }],
    [{ jitter: 0 }, { delay: 500, factor: 3, maxDelay: 9000, jitter: 0 }],
  ])('merges the handler’s backoff %p over the module’s field by field', (backoff, expected) => {
    expect(resolveHandlerOptions(HANDLER, { backoff }, module).backoff).toEqual(expected);
  });

  it.each([
    ['timeout', { timeout: MAX_MS + 1 }, 1],
    ['backoff.delay', { backoff: { delay: MAX_MS + 1 } }, 0],
    ['backoff.maxDelay', { backoff: { maxDelay: MAX_MS + 1 } }, 0],
  ])('bounds the handler’s %s at 2147483647 ms, naming the handler, the option and the value', (option, options, min) => {
    expect(handlerError(options)).toBe(`${HANDLER}: option "${option}" must be an integer from ${min} to ${MAX_MS}, got 2147483648.`);
    const atBound = JSON.parse(JSON.stringify(options).replace('2147483648', String(MAX_MS)));
    expect(() => resolveHandlerOptions(HANDLER, atBound, module)).not.toThrow();
  });

  it('refuses a concurrency below 1 and keys a handler does not take', () => {
    expect(handlerError({ concurrency: 0 })).toBe(
      `${HANDLER}: option "concurrency" must be an integer >= 1, got 0.`,
    );
    expect(handlerError({ workers: 2 })).toBe(`${HANDLER}: unknown option "workers". Known options: maxRetries, timeout, backoff, concurrency, retention, schema, schedule, rateLimit.`);
    expect(handlerError('fast')).toBe(`${HANDLER}: options must be an object, got "fast".`);
  });

  it('merges retention field by field: the handler over the module over the defaults', () => {
    const withModule = resolveJobsOptions({ ...REQUIRED, retention: { failed: { age: 60_000 }, completed: { count: 10 } } });
    expect(withModule.retention).toEqual({ completed: { count: 10, age: Infinity }, failed: { count: 1000, age: 60_000 } });
    const handler = resolveHandlerOptions(HANDLER, { retention: { failed: { count: 5 } } }, withModule);
    expect(handler.retention).toEqual({ completed: { count: 10, age: Infinity }, failed: { count: 5, age: 60_000 } });
    expect(resolveHandlerOptions(HANDLER, { retention: { completed: { age: 1 } } }, module).retention.completed).toEqual({ count: 0, age: 1 });
    expect(Object.isFrozen(withModule.retention.failed)).toBe(true);
  });

  it.each([
    [{ failed: { count: -1 } }, 'retention.failed.count', 'an integer >= 0', '-1'],
    [{ failed: { count: 1.5 } }, 'retention.failed.count', 'an integer >= 0', '1.5'],
    [{ completed: { age: 0 } }, 'retention.completed.age', `an integer from 1 to ${MAX_MS}`, '0'],
    [{ completed: { age: MAX_MS + 1 } }, 'retention.completed.age', `an integer from 1 to ${MAX_MS}`, '2147483648'],
    [{ failed: { age: Number.NaN } }, 'retention.failed.age', `an integer from 1 to ${MAX_MS}`, 'NaN'],
  ])('refuses retention %p, naming the field and the value', (retention, option, expected, shown) => {
    expect(handlerError({ retention })).toBe(`${HANDLER}: option "${option}" must be ${expected}, got ${shown}.`);
    expect(moduleError({ ...REQUIRED, retention })).toBe(`JobsModule: option "${option}" must be ${expected}, got ${shown}.`);
  });

  it('refuses unknown retention keys and states', () => {
    expect(moduleError({ ...REQUIRED, retention: { waiting: {} } })).toBe(
      'JobsModule option "retention": unknown option "waiting". Known options: completed, failed.',
    );
    expect(moduleError({ ...REQUIRED, retention: { failed: { max: 1 } } })).toBe(
      'JobsModule option "retention.failed": unknown option "max". Known options: count, age.',
    );
    expect(moduleError({ ...REQUIRED, retention: 7 })).toBe('JobsModule option "retention": options must be an object, got 7.');
  });

  it('reads rateLimit and schedule, and refuses them out of range, naming the field', () => {
    const resolved = resolveHandlerOptions(HANDLER, { rateLimit: { max: 2, duration: 1000 }, schedule: { every: 5000 } }, module);
    expect(resolved.rateLimit).toEqual({ max: 2, duration: 1000 });
    expect(resolved.schedule).toEqual({ cron: undefined, every: 5000, timezone: 'UTC', payload: {} });
    expect(handlerError({ rateLimit: { max: 0, duration: 1000 } })).toBe(`${HANDLER}: option "rateLimit.max" must be an integer >= 1, got 0.`);
    expect(handlerError({ rateLimit: { max: 1, duration: MAX_MS + 1 } })).toBe(
      `${HANDLER}: option "rateLimit.duration" must be an integer from 1 to 2147483647 (ms), got 2147483648.`,
    );
    expect(handlerError({ rateLimit: { max: 1 } })).toBe(`${HANDLER}: option "rateLimit.duration" must be an integer from 1 to 2147483647 (ms), got undefined.`);
    expect(handlerError({ rateLimit: { max: 1, duration: 1, per: 'x' } })).toBe(
      `${HANDLER} option "rateLimit": unknown option "per". Known options: max, duration.`,
    );
    expect(handlerError({ schedule: { every: 500 } })).toBe(
      `${HANDLER} option "schedule": option "every" must be an integer from 1000 to 2147483647 (ms), got 500.`,
    );
    expect(handlerError({ schedule: { cron: '* * * * *', timezone: 'Nowhere/Land' } })).toContain('option "timezone" must be an IANA timezone name');
    expect(handlerError({ schedule: { cron: '* * * * *', key: 'x' } })).toBe(
      `${HANDLER} option "schedule": unknown option "key". Known options: cron, every, timezone, payload.`,
    );
  });

  it('leaves the defaults untouched', () => {
    resolveHandlerOptions(HANDLER, { backoff: { delay: 1 } }, resolveJobsOptions(REQUIRED));
    expect(JOBS_DEFAULTS.backoff).toEqual({ delay: 1000, factor: 2, maxDelay: 300_000, jitter: 0 });
  });
});
