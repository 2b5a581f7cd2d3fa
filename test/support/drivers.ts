import type { JobsModuleOptions } from '../../lib/index.js';

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
  /** Module options for one app: the scenario's options plus whatever selects this driver. */
  moduleOptions(options: JobsModuleOptions): JobsModuleOptions;
  /** What the driver can promise exactly; scenarios that need it check the flag. */
  readonly capabilities: {
    /** Priority order holds across job types (the in-memory engine: yes). */
    globalPriorityOrder: boolean;
    /** `submit` passes the payload by reference (the in-memory engine) rather than as JSON. */
    payloadByReference: boolean;
  };
}

export const memoryDriver: DriverFixture = {
  name: 'memory',
  setup: async () => undefined,
  teardown: async () => undefined,
  moduleOptions: (options) => options,
  capabilities: { globalPriorityOrder: true, payloadByReference: true },
};

/** Every driver the contract suite runs against. The BullMQ driver joins here. */
export const driverFixtures: readonly DriverFixture[] = [memoryDriver];
