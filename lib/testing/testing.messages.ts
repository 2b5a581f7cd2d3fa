/** The tester's messages: what was wrong and what to do. */

export const notAttached = (method: string) =>
  `tester.${method}(): no application uses this tester yet. Pass the builder through it — ` +
  'tester.override(Test.createTestingModule({ imports: [AppModule] })).compile() — and initialise the module (await moduleRef.init()).';

export const notInitialised = (method: string) =>
  `tester.${method}(): the application is not initialised, so no job can run. Call await moduleRef.init() (or app.init()) first.`;

export const attachedTwice = () =>
  'A JobsTester drives one application, and this one already has its own. Call createJobsTester() once per test module.';

export const manualOnly = () =>
  "tester.runNext() runs one job in 'manual' mode; in 'auto' mode jobs run as they are submitted: use tester.runAll() to wait for them.";

export const workersBusy = (workers: number) =>
  `tester.runNext(): a job is ready but all ${workers} worker(s) are busy with attempts that have not settled. ` +
  'Let them finish, or move the clock to their timeout with tester.advance(ms).';

export const tooManyAttempts = (limit: number) =>
  `tester.runAll(): more than ${limit} attempts in one call, so it stopped: a handler may be submitting jobs without end, ` +
  'or a job may keep failing. Step with tester.runNext() and look at tester.jobs().';

export const invalidMode = (mode: unknown) => `createJobsTester: option "mode" must be 'manual' or 'auto', got ${String(mode)}.`;

export const invalidAdvance = (ms: unknown) => `tester.advance(ms): "ms" must be a finite number >= 0, got ${String(ms)}.`;
