/** Injection tokens internal to the package. */
export const JOBS_OPTIONS = Symbol('nestjs-jobs:options');
export const JOBS_DRIVER = Symbol('nestjs-jobs:driver');
/** What a driver is made from (`DriverContext`): `nestjs-jobs/testing` builds its own driver on it. */
export const JOBS_DRIVER_CONTEXT = Symbol('nestjs-jobs:driver-context');
export const JOBS_KERNEL = Symbol('nestjs-jobs:kernel');
export const JOBS_CLOCK = Symbol('nestjs-jobs:clock');
export const JOBS_RANDOM = Symbol('nestjs-jobs:random');
export const JOBS_LOGGER_CONTEXT = 'JobsModule';
