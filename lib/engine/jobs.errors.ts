import type { JobPayloadIssue } from '../interfaces/job-schema.interface.js';

/** Base class of every error this package throws or rejects with. */
export class JobsError extends Error {
  override name = 'JobsError';
}

/** `submit` named a type no `@JobHandler` in this process handles. */
export class UnknownJobTypeError extends JobsError {
  override name = 'UnknownJobTypeError';
  constructor(
    message: string,
    readonly type: string,
  ) {
    super(message);
  }
}

/** `submit` found the queue at its `queueSize` bound. Wait with `onSizeLessThan()` or retry later. */
export class QueueFullError extends JobsError {
  override name = 'QueueFullError';
}

/** `submit` came after shutdown began. */
export class QueueClosedError extends JobsError {
  override name = 'QueueClosedError';
}

/** `submit` got options it cannot accept, or a payload the driver cannot carry. */
export class InvalidJobError extends JobsError {
  override name = 'InvalidJobError';
  /** What the handler's schema found wrong with the payload (empty when the options were at fault). */
  readonly issues: readonly JobPayloadIssue[];
  constructor(message: string, issues: readonly JobPayloadIssue[] = []) {
    super(message);
    this.issues = issues;
  }
}

/** The broker of a distributed driver cannot be reached. */
export class QueueUnavailableError extends JobsError {
  override name = 'QueueUnavailableError';
}

/** Thrown by a handler, fails the job for good at once, without retries. */
export class UnrecoverableJobError extends JobsError {
  override name = 'UnrecoverableJobError';
}

/** The error an attempt fails with when it runs past its timeout. */
export class JobTimeoutError extends JobsError {
  override name = 'JobTimeoutError';
}

/** The module's options, or its handlers, are not valid: the application does not start. */
export class JobsConfigurationError extends JobsError {
  override name = 'JobsConfigurationError';
}

/** `retryJob` named an id no job has, live or kept. */
export class JobNotFoundError extends JobsError {
  override name = 'JobNotFoundError';
  constructor(
    message: string,
    readonly id: string,
  ) {
    super(message);
  }
}

/** The job is in a state the call cannot act on: retrying a job that has not failed, removing a running one. */
export class JobStateError extends JobsError {
  override name = 'JobStateError';
  constructor(
    message: string,
    readonly id: string,
    readonly state: string,
  ) {
    super(message);
  }
}
