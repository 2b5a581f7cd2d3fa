import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { JobsError, QueueClosedError, QueueFullError, QueueUnavailableError } from 'nestjs-jobs';

/**
 * Maps the queue's refusals to HTTP: a full, closing or unreachable queue is
 * the server's state (503, try again in a second); anything else the package
 * refuses (unknown type, invalid options) is the client's request (400).
 */
@Catch(JobsError)
export class JobsHttpFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: JobsError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const unavailable =
      error instanceof QueueFullError || error instanceof QueueClosedError || error instanceof QueueUnavailableError;
    const statusCode = unavailable ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.BAD_REQUEST;
    if (unavailable) httpAdapter.setHeader(response, 'Retry-After', '1');
    httpAdapter.reply(response, { statusCode, error: error.name, message: error.message }, statusCode);
  }
}
