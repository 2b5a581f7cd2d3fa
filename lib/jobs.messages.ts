/** The messages of the Nest glue (module options, discovery, lifecycle). The engine's own live in engine/engine.messages.ts. */
import { describe } from './engine/engine.messages.js';

export const invalidDriver = (value: unknown) =>
  `JobsModule: option "driver" must be a driver made by its subpath's factory (e.g. bullmqDriver() from "nestjs-jobs/bullmq"), or left out for the in-memory engine; got ${describe(value)}.`;

export const duplicateHandler = (type: string, first: string, second: string) =>
  `Two handlers for job type "${type}": ${first} and ${second}. Keep one @JobHandler("${type}") per application.`;

export const scopedHandler = (type: string, where: string, scope: string) =>
  `@JobHandler("${type}") on ${where}: the provider is ${scope}, but a job has no request to scope it to. ` +
  `Make the provider a singleton (the default scope), or move the handler to one.`;

export const invalidHandlerType = (where: string, type: unknown) =>
  `@JobHandler on ${where}: the job type must be a non-empty string, got ${describe(type)}.`;

export const noShutdownHooks = () =>
  'Shutdown hooks are not enabled, so SIGTERM ends the process without draining running jobs. ' +
  'Call app.enableShutdownHooks() before app.listen() (or right after createApplicationContext()).';

export const invalidSchema = (where: string, value: unknown) =>
  `${where}: option "schema" must be a Standard Schema v1 object (one with "~standard.validate", as zod, valibot and arktype schemas have), got ${describe(value)}.`;

export const importedTwice = (count: number, importers: readonly string[], configured: readonly string[]) =>
  `JobsModule.forRoot/forRootAsync is imported ${count} times, with different options` +
  (importers.length > 0 ? ` (by ${importers.join(' and by ')})` : '') +
  (configured.length > 0 ? ` [${configured.join(' | ')}]` : '') +
  ': each import would start its own queue, and JobQueue would come from either. ' +
  'JobsModule is global: import it once, in the root module, and inject JobQueue anywhere.';
