/** Options of `JobQueue.schedule(key, type, payload, options)`: exactly one of `cron` and `every`. */
export interface ScheduleOptions {
  /** A cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first. */
  cron?: string;
  /** Ms between ticks (integer from 1000 to 2 147 483 647); the first tick comes `every` ms after `schedule()`. */
  every?: number;
  /** IANA timezone the cron expression is read in. Default `UTC`. */
  timezone?: string;
  /** Priority of each tick's job (-1 000 000 to 1 000 000). Default 0. */
  priority?: number;
  /** Retries of each tick's job (integer >= 0). Default: the handler's. */
  maxRetries?: number;
  /** Per-attempt timeout of each tick's job, in ms. Default: the handler's. */
  timeout?: number;
}

/** A schedule as `listSchedules()` shows it. */
export interface ScheduleRecord {
  /** What names the schedule: `schedule()`'s key, or the type for a declared schedule. */
  key: string;
  /** The job type each tick submits. */
  type: string;
  /** The cron expression, for a cron schedule. */
  cron?: string;
  /** Ms between ticks, for an interval schedule. */
  every?: number;
  /** The IANA timezone the schedule is read in. */
  timezone: string;
  /** When it ticks next. */
  next: Date;
}

/** A schedule as JSON carries it (the health indicator's details, the dashboard's API): `next` as an ISO 8601 string. */
export type ScheduleRecordJson = Omit<ScheduleRecord, 'next'> & {
  /** When it ticks next, as an ISO 8601 string. */
  next: string;
};

/** `@JobHandler(type, { schedule })`: a schedule with key `type`, applied at start-up. */
export type HandlerScheduleOptions = (
  | { /** A cron expression (5 fields, or 6 with seconds). */ cron: string; every?: never }
  | { /** Ms between ticks (integer from 1000 to 2 147 483 647). */ every: number; cron?: never }
) & {
  /** IANA timezone the cron expression is read in. Default `UTC`. */
  timezone?: string;
  /** The payload of each tick's job. Default `{}`. */
  payload?: unknown;
};

/** `@JobHandler(type, { rateLimit })`: at most `max` attempts of the type start in each window of `duration` ms. */
export interface RateLimitOptions {
  /** Starts per window (integer >= 1). */
  max: number;
  /** The window, in ms (integer from 1 to 2 147 483 647). */
  duration: number;
}
