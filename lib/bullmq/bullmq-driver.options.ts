import type { RedisOptions } from 'ioredis';
import { JobsConfigurationError } from '../engine/jobs.errors.js';
import { invalidOption, missingOption, notAnObject, unknownOption } from '../engine/engine.messages.js';
import { integerRange, isInteger, MAX_TIMER_MS } from '../engine/limits.js';
import { invalidConnection, WHERE } from './bullmq.messages.js';

/** Options of `bullmqDriver()`. */
export interface BullmqDriverOptions {
  /** ioredis connection options (`host`, `port`, `password`, `db`, `tls`, …). The driver makes its own clients from them. */
  connection: RedisOptions;
  /** Namespace of every Redis key. Default `nestjs-jobs`. */
  prefix?: string;
  /** `'both'` (default) and `'worker'` run this process's handlers; `'producer'` runs none. Every role may submit. */
  role?: 'both' | 'producer' | 'worker';
  /** Ms a running job's lock lasts before it counts as stalled (renewed at half). Default 30 000. */
  lockDuration?: number;
  /** Ms between checks for stalled jobs. Default 30 000. */
  stalledInterval?: number;
  /** Times a job may stall (its worker died) before it fails. Default 1. */
  maxStalledCount?: number;
  /** Largest payload, in bytes of JSON. Default 524 288 (512 KiB). */
  maxPayloadBytes?: number;
}

export interface ResolvedBullmqOptions {
  readonly connection: RedisOptions;
  readonly prefix: string;
  readonly role: 'both' | 'producer' | 'worker';
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly maxStalledCount: number;
  readonly maxPayloadBytes: number;
}

const KEYS = ['connection', 'prefix', 'role', 'lockDuration', 'stalledInterval', 'maxStalledCount', 'maxPayloadBytes'];
const ROLES = ['both', 'producer', 'worker'];
const PREFIX = /^[A-Za-z0-9_.:{}-]{1,64}$/;

/** Checks the options of `bullmqDriver()`; throws a JobsConfigurationError naming the option and the value. */
export function resolveBullmqOptions(raw: unknown): ResolvedBullmqOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JobsConfigurationError(notAnObject(WHERE, raw));
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) throw new JobsConfigurationError(unknownOption(WHERE, key, KEYS));
  }
  const options = raw as Partial<BullmqDriverOptions>;
  const { connection } = options;
  if (connection === undefined) {
    throw new JobsConfigurationError(missingOption(WHERE, 'connection', 'ioredis connection options, e.g. { host: "127.0.0.1", port: 6379 }'));
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new JobsConfigurationError(invalidConnection(connection));
  }
  if (connection.host !== undefined && (typeof connection.host !== 'string' || connection.host.length === 0)) {
    throw new JobsConfigurationError(invalidOption(WHERE, 'connection.host', connection.host, 'a non-empty string'));
  }
  if (connection.port !== undefined && !isInteger(connection.port, 1, 65_535)) {
    throw new JobsConfigurationError(invalidOption(WHERE, 'connection.port', connection.port, 'an integer from 1 to 65535'));
  }
  if (connection.db !== undefined && !isInteger(connection.db, 0)) {
    throw new JobsConfigurationError(invalidOption(WHERE, 'connection.db', connection.db, 'an integer >= 0'));
  }
  const prefix = options.prefix ?? 'nestjs-jobs';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new JobsConfigurationError(invalidOption(WHERE, 'prefix', prefix, '1–64 characters of A-Z a-z 0-9 _ . : { } -'));
  }
  const role = options.role ?? 'both';
  if (!ROLES.includes(role)) throw new JobsConfigurationError(invalidOption(WHERE, 'role', role, '"both", "producer" or "worker"'));
  return Object.freeze({
    connection,
    prefix,
    role,
    lockDuration: integer('lockDuration', options.lockDuration, 1, MAX_TIMER_MS, 30_000),
    stalledInterval: integer('stalledInterval', options.stalledInterval, 1, MAX_TIMER_MS, 30_000),
    maxStalledCount: integer('maxStalledCount', options.maxStalledCount, 0, Number.MAX_SAFE_INTEGER, 1),
    maxPayloadBytes: integer('maxPayloadBytes', options.maxPayloadBytes, 1, Number.MAX_SAFE_INTEGER, 512 * 1024),
  });
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isInteger(value, min, max)) throw new JobsConfigurationError(invalidOption(WHERE, name, value, integerRange(min, max)));
  return value;
}
