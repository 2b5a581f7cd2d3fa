import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Inject, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidJobError, type JobsError, QueueClosedError, QueueFullError, QueueUnavailableError } from './engine/jobs.errors.js';

/** The slice of an HTTP response both Express and Fastify offer, for when no adapter was injected. */
interface PlatformResponse {
  status?(code: number): { json?(body: unknown): unknown; send?(body: unknown): unknown };
  code?(code: number): { send(body: unknown): unknown };
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * Answers the queue's refusals over HTTP: a full, closing or unreachable queue
 * is 503 with `Retry-After: 1`; an `InvalidJobError` is 400 with its message
 * and `issues`. Any other error is not caught here, so Nest's own handling
 * (and an `HttpException`'s status) applies. Works with
 * `app.useGlobalFilters(new JobsExceptionFilter())`, `APP_FILTER` and `@UseFilters`.
 */
@Catch(QueueFullError, QueueClosedError, QueueUnavailableError, InvalidJobError)
export class JobsExceptionFilter implements ExceptionFilter<JobsError> {
  constructor(@Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: JobsError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<PlatformResponse>();
    if (error instanceof InvalidJobError) {
      const statusCode = HttpStatus.BAD_REQUEST;
      this.#reply(response, statusCode, { statusCode, message: error.message, error: 'Bad Request', issues: error.issues }, false);
    } else {
      const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
      this.#reply(response, statusCode, { statusCode, message: error.message, error: 'Service Unavailable' }, true);
    }
  }

  #reply(response: PlatformResponse, statusCode: number, body: object, retryAfter: boolean): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter !== undefined) {
      if (retryAfter) adapter.setHeader(response, 'Retry-After', '1');
      adapter.reply(response, body, statusCode);
      return;
    }
    // Made with `new` for useGlobalFilters: nothing was injected, so answer through the platform's own response.
    if (typeof response.code === 'function') {
      if (retryAfter) response.header?.('Retry-After', '1');
      response.code(statusCode).send(body);
    } else {
      if (retryAfter) response.setHeader?.('Retry-After', '1');
      const sent = response.status!(statusCode);
      if (typeof sent.json === 'function') sent.json(body);
      else sent.send!(body);
    }
  }
}
