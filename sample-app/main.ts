import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { sampleOptionsFromEnv } from './sample-options.js';

// Nest's own start-up lines would bury the progress line: errors only, unless LOG_LEVEL says otherwise.
const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const level = (process.env.LOG_LEVEL ?? 'error') as LogLevel;

const app = await NestFactory.create(AppModule.register({ demo: true, progress: true, ...sampleOptionsFromEnv(process.env) }), {
  logger: LEVELS.slice(0, Math.max(LEVELS.indexOf(level), 1) + 1),
});
// SIGTERM/SIGINT drain the jobs, then exit 0 (without useProcessExit, Nest re-raises the signal).
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0');
process.stdout.write(`Sample app listening on ${await app.getUrl()} (Ctrl-C drains and exits)\n`);
