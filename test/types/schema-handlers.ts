/**
 * Type-level test of `@JobHandler(type, { schema })`: the handler's job
 * parameter is checked against the schema's output, and the package's schema
 * type accepts Standard Schema's own.
 */
import { Injectable } from '@nestjs/common';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import * as v from 'valibot';
import { z } from 'zod';
import { type Job, JobHandler, type JobSchema } from '../../lib/index.js';

const withDefault = z.object({ to: z.string(), locale: z.enum(['en', 'fr']).default('en') });
const quantity = v.object({ quantity: v.number() });
declare const standard: StandardSchemaV1<{ a: string }, { a: number }>;
export const asJobSchema: JobSchema = standard;

@Injectable()
export class SchemaHandlers {
  @JobHandler('email', { schema: withDefault })
  output(job: Job<{ to: string; locale: 'en' | 'fr' }>): void {
    const locale: 'en' | 'fr' = job.payload.locale;
    void locale;
  }

  // @ts-expect-error - the handler gets the output, whose quantity is a number
  @JobHandler('report', { schema: quantity })
  wrongField(job: Job<{ quantity: string }>): void {
    void job;
  }

  @JobHandler('email', { schema: standard })
  standardOutput(job: Job<{ a: number }>): void {
    void job;
  }
}
