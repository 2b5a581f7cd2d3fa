import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { type Job, JobQueue, type JobsMetrics, type SubmitOptions } from 'nestjs-jobs';

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
    return this.jobs.submit(type, payload, options);
  }
}

const BODY_KEYS = new Set(['payload', 'priority', 'delay']);

/** The body's shape only: ranges (priority, delay) are checked by `submit`, whose messages name the value. */
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
  if (priority !== undefined) options.priority = number('priority', priority);
  if (delay !== undefined) options.delay = number('delay', delay);
  return { payload, options };
}

function number(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new BadRequestException(`"${name}" must be a number, got ${JSON.stringify(value)}.`);
  return value;
}
