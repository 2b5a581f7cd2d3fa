import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { type Job, JobQueue, type JobsMetrics, type SubmitOptions, UnknownJobTypeError } from 'nestjs-jobs';

/** POST /jobs/:type submits a job; GET /jobs/metrics shows the queue's counters. */
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobQueue) {}

  @Get('metrics')
  metrics(): JobsMetrics {
    return this.jobs.metrics();
  }

  /** Body: `{ "payload": {...}, "priority"?: n, "delay"?: ms }`. 202 with the accepted job. */
  @Post(':type')
  @HttpCode(HttpStatus.ACCEPTED)
  submit(@Param('type') type: string, @Body() body: unknown): Promise<Job> {
    const { payload, options } = parseSubmitBody(body);
    // The type comes from the URL: an unknown one is the client's mistake here, not the server's.
    return this.jobs.submit(type, payload, options).catch((error: unknown) => {
      throw error instanceof UnknownJobTypeError ? new BadRequestException(error.message) : error;
    });
  }
}

const BODY_KEYS = new Set(['payload', 'priority', 'delay']);

/**
 * What a client of this public endpoint may ask for. `submit` accepts far
 * more (a priority up to 1 000 000, a delay of 24 days), but an anonymous
 * client must not jump every queue, nor fill it with jobs that wait a day
 * and keep readiness down meanwhile: an app bounds what it exposes.
 */
const PRIORITY = { min: -10, max: 10 };
const MAX_DELAY_MS = 60_000;

/** The body's shape and the endpoint's bounds; `submit` checks the rest, and its messages name the value. */
function parseSubmitBody(body: unknown): { payload: object; options: SubmitOptions } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('The body must be a JSON object: { "payload": {...}, "priority"?: n, "delay"?: ms }.');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !BODY_KEYS.has(key));
  if (unknown.length > 0) {
    throw new BadRequestException(`Unknown field(s) ${unknown.join(', ')}: the body takes payload, priority and delay.`);
  }
  const { payload, priority, delay } = fields;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new BadRequestException(`"payload" must be a JSON object, got ${JSON.stringify(payload) ?? 'nothing'}.`);
  }
  const options: SubmitOptions = {};
  if (priority !== undefined) options.priority = integer('priority', priority, PRIORITY.min, PRIORITY.max);
  if (delay !== undefined) options.delay = integer('delay', delay, 0, MAX_DELAY_MS);
  return { payload, options };
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new BadRequestException(`"${name}" must be a number, got ${JSON.stringify(value)}.`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestException(`"${name}" must be an integer from ${min} to ${max} on this endpoint, got ${value}.`);
  }
  return value;
}
