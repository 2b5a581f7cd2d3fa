import { describe, it } from '@jest/globals';
import type { JobsModuleOptions } from '../../lib/index.js';
import { bullmqDriver as createBullmqDriver } from '../../lib/bullmq/index.js';
import { deleteKeys, redisAvailable, type RedisEndpoint, sharedRedis, stopSharedRedis, uniquePrefix } from './redis.js';

/**
 * The engines the contract suite (test/e2e/contract) runs against. Each
 * scenario is written once and runs for every fixture whose driver shares the
 * semantics it checks; a driver-specific difference is named by a capability
 * flag, never by a copy of the scenario.
 */
export interface DriverFixture {
  readonly name: string;
  /** Called once before a suite's scenarios (start services, flush keys). */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /**
   * Module options for one app: the scenario's options plus whatever selects
   * this driver. `restart`: the app is the previous one started again (the
   * same broker keys), as after a deploy.
   */
  moduleOptions(options: JobsModuleOptions, restart?: boolean): JobsModuleOptions;
  /** What the driver can promise exactly; scenarios that need it check the flag. */
  readonly capabilities: {
    /** Priority order holds across job types (the in-memory engine: yes). */
    globalPriorityOrder: boolean;
    /** `submit` passes the payload by reference (the in-memory engine) rather than as JSON. */
    payloadByReference: boolean;
    /**
     * Jobs live in a broker shared by processes: shutdown finishes this
     * process's running attempts only, and jobs still waiting stay queued for
     * the others (neither run nor abandoned here).
     */
    durableQueue: boolean;
  };
}

export const memoryDriver: DriverFixture = {
  name: 'memory',
  setup: async () => undefined,
  teardown: async () => undefined,
  moduleOptions: (options) => options,
  capabilities: { globalPriorityOrder: true, payloadByReference: true, durableQueue: false },
};

let redis: RedisEndpoint | null = null;
const prefixes: string[] = [];

/** The BullMQ driver on the test Redis; every app gets its own key prefix, deleted at teardown. */
export const bullmqDriver: DriverFixture = {
  name: 'bullmq',
  async setup() {
    redis = await sharedRedis();
  },
  async teardown() {
    const used = prefixes.splice(0);
    for (const prefix of used) await deleteKeys(redis!.connection, prefix);
    await stopSharedRedis();
    redis = null;
  },
  moduleOptions(options, restart = false) {
    if (redis === null) throw new Error('bullmqDriver fixture: setup() has not run');
    const prefix = restart && prefixes.length > 0 ? prefixes.at(-1)! : uniquePrefix('contract');
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    return { ...options, driver: createBullmqDriver({ connection: redis.connection, prefix }) };
  },
  capabilities: { globalPriorityOrder: false, payloadByReference: false, durableQueue: true },
};

/**
 * Whether the Redis suites run. Under CI they always do (and fail without
 * Redis); elsewhere, with no Redis at all, they say loudly that they did not.
 */
export const redisTestsRun: boolean = await (async () => {
  if (process.env.CI || (await redisAvailable())) return true;
  process.stderr.write(
    '\n*** Redis suites NOT RUN: no REDIS_URL, nothing on 127.0.0.1:6379 and no redis-server on the PATH. ' +
      'Install Redis or set REDIS_URL to run them. ***\n\n',
  );
  return false;
})();

/** Every driver the contract suite runs against. */
export const driverFixtures: readonly DriverFixture[] = redisTestsRun ? [memoryDriver, bullmqDriver] : [memoryDriver];

/**
 * `describe` for suites that need Redis. Without any Redis (and not under CI)
 * the suite shows as a todo "NOT RUN" entry, after the loud message above,
 * instead of passing silently.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisTestsRun) describe(name, body);
  else describe(name, () => it.todo('NOT RUN: no Redis. Set REDIS_URL, start Redis on 127.0.0.1:6379, or install redis-server'));
}
