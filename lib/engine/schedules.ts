import cronParser from 'cron-parser';
import type { ScheduleOptions, ScheduleRecord } from '../interfaces/schedule.interface.js';
import { describe, invalidOption, notAnObject, unknownOption } from './engine.messages.js';
import type { RegisteredHandler } from './jobs-driver.js';
import { integerRange, isInteger, MAX_TIMER_MS, PRIORITY_MAX, PRIORITY_MIN } from './limits.js';

/**
 * Schedules as both drivers see them: the checks on `schedule()` and on a
 * handler's `schedule` option, and the next tick of a cron or `every` spec,
 * computed with cron-parser — the library BullMQ's job schedulers use, so
 * both drivers agree on every tick.
 */

/**
 * cron-parser, the library BullMQ's job schedulers use (a CommonJS package:
 * its default import is its exports). Loaded statically: a lazy
 * `createRequire(import.meta.url)` kept CommonJS apps' Jest (ts-jest) from
 * loading the package at all.
 */
function loadCron(): typeof cronParser.CronExpressionParser {
  return cronParser.CronExpressionParser;
}

/** The shortest `every`: one second. */
export const MIN_EVERY_MS = 1000;
/** The longest schedule key. */
export const MAX_SCHEDULE_KEY = 256;
/** The timezone of a schedule that names none. */
export const DEFAULT_TIMEZONE = 'UTC';

/** When a schedule ticks: a cron expression or a fixed interval, in a timezone. */
export interface ScheduleSpec {
  readonly cron: string | undefined;
  readonly every: number | undefined;
  readonly timezone: string;
}

/** One `schedule()` call (or a declared schedule), read and checked once: what a driver stores. */
export interface ScheduleRequest extends ScheduleSpec {
  readonly key: string;
  readonly handler: RegisteredHandler;
  readonly payload: unknown;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeout: number;
  /** Made by `@JobHandler({ schedule })`: start-up removes it once the code no longer declares it. */
  readonly declared: boolean;
}

const SCHEDULE_KEYS: ReadonlySet<string> = new Set(['cron', 'every', 'timezone', 'priority', 'maxRetries', 'timeout']);
const DECLARED_KEYS: ReadonlySet<string> = new Set(['cron', 'every', 'timezone', 'payload']);

/** Whether `key` can name a schedule (a string of 1 to 256 characters); else what is wrong, said for `where`. */
export function checkScheduleKey(where: 'schedule' | 'unschedule', key: unknown): string | undefined {
  if (typeof key === 'string' && key.length >= 1 && key.length <= MAX_SCHEDULE_KEY) return undefined;
  return `${where}: "key" must be a string of 1 to ${MAX_SCHEDULE_KEY} characters, got ${describe(key)}.`;
}

/** Reads `{ cron | every, timezone }`; returns the spec, or what is wrong (naming the field). */
export function scheduleSpec(where: string, options: { cron?: unknown; every?: unknown; timezone?: unknown }): ScheduleSpec | string {
  const { cron, every, timezone } = options;
  if (cron === undefined && every === undefined) {
    return `${where}: set exactly one of "cron" (a cron expression) or "every" (ms, ${integerRange(MIN_EVERY_MS, MAX_TIMER_MS)}); neither was given.`;
  }
  if (cron !== undefined && every !== undefined) {
    return `${where}: set exactly one of "cron" or "every", not both (got cron ${describe(cron)} and every ${describe(every)}).`;
  }
  const zone = timezone ?? DEFAULT_TIMEZONE;
  if (!isTimezone(zone)) {
    return invalidOption(where, 'timezone', timezone, 'an IANA timezone name such as "UTC" or "Europe/Paris"');
  }
  if (every !== undefined) {
    if (!isInteger(every, MIN_EVERY_MS, MAX_TIMER_MS)) return invalidOption(where, 'every', every, `${integerRange(MIN_EVERY_MS, MAX_TIMER_MS)} (ms)`);
    return { cron: undefined, every, timezone: zone };
  }
  const problem = checkCron(cron);
  if (problem !== undefined) return `${where}: option "cron" ${problem}, got ${describe(cron)}.`;
  return { cron: cron as string, every: undefined, timezone: zone };
}

/** Reads and checks one `schedule()` call; returns the request, or what is wrong. */
export function scheduleRequest(key: string, handler: RegisteredHandler, payload: unknown, options: unknown): ScheduleRequest | string {
  const where = 'schedule';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return notAnObject(where, options);
  const { cron, every, timezone, priority, maxRetries, timeout } = options as ScheduleOptions;
  for (const name in options) {
    if (!SCHEDULE_KEYS.has(name)) return unknownOption(where, name, [...SCHEDULE_KEYS]);
  }
  const spec = scheduleSpec(where, { cron, every, timezone });
  if (typeof spec === 'string') return spec;
  if (priority !== undefined && !isInteger(priority, PRIORITY_MIN, PRIORITY_MAX)) {
    return invalidOption(where, 'priority', priority, integerRange(PRIORITY_MIN, PRIORITY_MAX));
  }
  if (maxRetries !== undefined && !isInteger(maxRetries, 0)) return invalidOption(where, 'maxRetries', maxRetries, integerRange(0));
  if (timeout !== undefined && !isInteger(timeout, 1, MAX_TIMER_MS)) return invalidOption(where, 'timeout', timeout, integerRange(1, MAX_TIMER_MS));
  return {
    ...spec,
    key,
    handler,
    payload,
    priority: priority ?? 0,
    maxRetries: maxRetries ?? handler.maxRetries,
    timeout: timeout ?? handler.timeout,
    declared: false,
  };
}

/** A handler's `schedule` option, resolved at start-up: its spec and the payload of its jobs. */
export interface DeclaredSchedule extends ScheduleSpec {
  readonly payload: unknown;
}

/** Reads `@JobHandler({ schedule })`; returns the declared schedule, or what is wrong. */
export function declaredSchedule(where: string, raw: unknown): DeclaredSchedule | string {
  const at = `${where} option "schedule"`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return notAnObject(at, raw);
  for (const name in raw) {
    if (!DECLARED_KEYS.has(name)) return unknownOption(at, name, [...DECLARED_KEYS]);
  }
  const options = raw as { cron?: unknown; every?: unknown; timezone?: unknown; payload?: unknown };
  const spec = scheduleSpec(at, options);
  if (typeof spec === 'string') return spec;
  return { ...spec, payload: options.payload ?? {} };
}

/** The request that applies a handler's declared schedule: key = type, the handler's options. */
export function declaredRequest(handler: RegisteredHandler, declared: DeclaredSchedule): ScheduleRequest {
  return {
    key: handler.type,
    handler,
    payload: declared.payload,
    cron: declared.cron,
    every: declared.every,
    timezone: declared.timezone,
    priority: 0,
    maxRetries: handler.maxRetries,
    timeout: handler.timeout,
    declared: true,
  };
}

/**
 * The next tick strictly after `after` (ms since the epoch). `every` keeps the
 * phase of `anchor` (the tick it counts from); cron asks cron-parser in the
 * schedule's timezone, so DST transitions behave as cron-parser documents.
 */
export function nextTick(spec: ScheduleSpec, after: number, anchor: number): number {
  if (spec.every !== undefined) {
    const every = spec.every;
    if (anchor > after) return anchor;
    return anchor + (Math.floor((after - anchor) / every) + 1) * every;
  }
  return loadCron().parse(spec.cron!, { currentDate: new Date(after), tz: spec.timezone }).next().getTime();
}

/** What `listSchedules()` shows of a stored schedule. */
export function scheduleRecord(key: string, type: string, spec: ScheduleSpec, next: number): ScheduleRecord {
  const record: ScheduleRecord = { key, type, timezone: spec.timezone, next: new Date(next) };
  if (spec.cron !== undefined) record.cron = spec.cron;
  if (spec.every !== undefined) record.every = spec.every;
  return record;
}

function isTimezone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Five fields, or six with seconds, that cron-parser accepts; else what is wrong. */
function checkCron(expression: unknown): string | undefined {
  const expected = 'must be a cron expression of 5 fields (minute hour day month weekday), or 6 with seconds first';
  if (typeof expression !== 'string') return expected;
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `${expected} (it has ${fields})`;
  try {
    loadCron().parse(expression, { tz: DEFAULT_TIMEZONE });
    return undefined;
  } catch (error) {
    return `${expected} (${error instanceof Error ? error.message : String(error)})`;
  }
}
