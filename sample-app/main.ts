import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { randomToken, sampleOptionsFromEnv } from './sample-options.js';

// Nest's own start-up lines would bury the progress line: errors only, unless LOG_LEVEL says otherwise.
const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const level = (process.env.LOG_LEVEL ?? 'error') as LogLevel;

const options = { demo: true, progress: true, ...sampleOptionsFromEnv(process.env) };
// DASHBOARD_TOKEN, or a new random one at every start (printed below).
const dashboardToken = options.dashboardToken ?? randomToken();
const app = await NestFactory.create(AppModule.register({ ...options, dashboardToken }), {
  logger: LEVELS.slice(0, Math.max(LEVELS.indexOf(level), 1) + 1),
});
// SIGTERM/SIGINT drain the jobs, then exit 0 (without useProcessExit, Nest re-raises the signal).
app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0');
const url = await app.getUrl();
process.stdout.write(`Sample app listening on ${url} (Ctrl-C drains and exits)\n`);
process.stdout.write(`Dashboard: ${url}/dashboard?token=${encodeURIComponent(dashboardToken)}\n`);
