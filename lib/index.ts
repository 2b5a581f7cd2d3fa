export { JobsModule } from './jobs.module.js';
export { JobHandler } from './job-handler.decorator.js';
export { JobQueue } from './job.queue.js';
export { JobsExceptionFilter } from './jobs-exception.filter.js';
export type {
  Job,
  JobEvent,
  JobEventKind,
  JobHandlerFn,
  JobPage,
  JobPayload,
  JobRecord,
  JobState,
  JobStateCounts,
  ListJobsOptions,
  RetryJobsOptions,
  JobSnapshot,
  JobsMetrics,
  JobsState,
  JobsStatus,
  JobType,
  JobTypes,
  PayloadOf,
  SubmitOptions,
  TypeMetrics,
} from './interfaces/job.interface.js';
export type { JobPayloadIssue, JobSchema, JobSchemaProps, JobSchemaResult } from './interfaces/job-schema.interface.js';
export type {
  BackoffOptions,
  JobHandlerOptions,
  JobsModuleOptions,
  JobsOptionsFactory,
  KeepOptions,
  RetentionOptions,
} from './interfaces/jobs-options.interface.js';
export type {
  HandlerScheduleOptions,
  RateLimitOptions,
  ScheduleOptions,
  ScheduleRecord,
  ScheduleRecordJson,
} from './interfaces/schedule.interface.js';
export {
  InvalidJobError,
  JobNotFoundError,
  JobsConfigurationError,
  JobsError,
  JobStateError,
  JobTimeoutError,
  QueueClosedError,
  QueueFullError,
  QueueUnavailableError,
  UnknownJobTypeError,
  UnrecoverableJobError,
} from './engine/jobs.errors.js';
