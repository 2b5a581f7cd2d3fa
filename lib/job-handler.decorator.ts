import { DiscoveryService } from '@nestjs/core';
import type { Job, JobType, PayloadOf } from './interfaces/job.interface.js';
import type { JobSchema } from './interfaces/job-schema.interface.js';
import type { JobHandlerOptions } from './interfaces/jobs-options.interface.js';

/** What `@JobHandler` records on a method, read back by the explorer. */
export interface JobHandlerMetadata {
  type: string;
  options?: JobHandlerOptions;
}

export const JobHandlerDiscovery = DiscoveryService.createDecorator<JobHandlerMetadata>();

/** The decorator `@JobHandler` returns: it checks the method's job parameter against `P`. */
export type JobHandlerDecorator<P> = <F extends (job: Job<P>, signal: AbortSignal) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<F>,
) => void;

/** What a schema hands the handler: its output type. */
export type SchemaOutput<S> = S extends JobSchema<any, infer O> ? O : unknown;

/**
 * Marks a provider method as the handler of a job type. It is called as
 * `handler(job, signal)`, with `this` bound to the provider.
 *
 * With a `schema`, the method's job parameter is checked against the schema's
 * output (what the handler gets); otherwise, with the type declared in
 * `JobTypes`, against the declared payload.
 */
export function JobHandler<T extends JobType, S extends JobSchema<any, any>>(
  type: T,
  options: JobHandlerOptions & { schema: S },
): JobHandlerDecorator<SchemaOutput<S>>;
export function JobHandler<T extends JobType>(type: T, options?: JobHandlerOptions): JobHandlerDecorator<PayloadOf<T>>;
export function JobHandler(type: string, options?: JobHandlerOptions): JobHandlerDecorator<any> {
  return JobHandlerDiscovery({ type, options });
}
