import { DiscoveryService } from '@nestjs/core';
import type { Job, JobType, PayloadOf } from './interfaces/job.interface.js';
import type { JobHandlerOptions } from './interfaces/jobs-options.interface.js';

/** What `@JobHandler` records on a method, read back by the explorer. */
export interface JobHandlerMetadata {
  type: string;
  options?: JobHandlerOptions;
}

export const JobHandlerDiscovery = DiscoveryService.createDecorator<JobHandlerMetadata>();

/**
 * Marks a provider method as the handler of a job type. It is called as
 * `handler(job, signal)`, with `this` bound to the provider.
 *
 * With the type declared in `JobTypes`, the method's job parameter is checked
 * against the declared payload.
 */
export function JobHandler<T extends JobType>(
  type: T,
  options?: JobHandlerOptions,
): <F extends (job: Job<PayloadOf<T>>, signal: AbortSignal) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<F>,
) => void {
  return JobHandlerDiscovery({ type, options });
}
