export { JobsModule } from './jobs.module.js';
export { JobHandler } from './job-handler.decorator.js';
export { JobQueue } from './job.queue.js';
export type {
  Job,
  JobEvent,
  JobEventKind,
  JobHandlerFn,
  JobPayload,
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
export type {
  BackoffOptions,
  JobHandlerOptions,
  JobsModuleOptions,
  JobsOptionsFactory,
} from './interfaces/jobs-options.interface.js';
export type {
  HandlerScheduleOptions,
  RateLimitOptions,
  ScheduleOptions,
  ScheduleRecord,
} from './interfaces/schedule.interface.js';
export {
  InvalidJobError,
  JobsConfigurationError,
  JobsError,
  JobTimeoutError,
  QueueClosedError,
  QueueFullError,
  QueueUnavailableError,
  UnknownJobTypeError,
  UnrecoverableJobError,
} from './engine/jobs.errors.js';
