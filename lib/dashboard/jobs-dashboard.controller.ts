import {
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  Header,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  ServiceUnavailableException,
  type Type,
  UseGuards,
} from '@nestjs/common';
import {
  InvalidJobError,
  JobNotFoundError,
  JobQueue,
  JobStateError,
  QueueClosedError,
  QueueFullError,
  QueueUnavailableError,
} from '../index.js';
import { type DashboardSnapshot, DashboardFeed, type FailedPageView } from './dashboard.feed.js';
import { DASHBOARD_PAGE } from './dashboard.page.js';
import { DashboardGuard } from './jobs-dashboard.guard.js';
import { pageHeaders } from './jobs-dashboard.middleware.js';

/**
 * The dashboard's routes under `path`, as a controller class of its own for
 * each registration (a controller's path is fixed when its class is declared).
 */
export function dashboardController(path: string): Type {
  @Controller(path)
  @UseGuards(DashboardGuard)
  class JobsDashboardController {
    constructor(
      private readonly queue: JobQueue,
      private readonly feed: DashboardFeed,
    ) {}

    @Get()
    async page(@Res({ passthrough: true }) response: HeaderSetter): Promise<string> {
      for (const [name, value] of await pageHeaders()) response.header(name, value);
      return DASHBOARD_PAGE;
    }

    @Get('api/snapshot')
    @Header('Cache-Control', 'no-store')
    snapshot(): Promise<DashboardSnapshot> {
      return this.feed.snapshot();
    }

    @Get('api/failed')
    @Header('Cache-Control', 'no-store')
    failed(@Query('type') type?: string, @Query('cursor') cursor?: string): Promise<FailedPageView> {
      return this.feed.failedPage(type || undefined, cursor || undefined).catch(toHttp);
    }

    @Post('api/jobs/:id/retry')
    @HttpCode(200)
    async retry(@Param('id') id: string): Promise<{ id: string; state: string }> {
      const job = await this.queue.retryJob(id).catch(toHttp);
      this.feed.invalidate();
      return { id: job.id, state: job.state };
    }

    @Post('api/jobs/:id/remove')
    @HttpCode(200)
    async remove(@Param('id') id: string): Promise<{ id: string; removed: boolean }> {
      const removed = await this.queue.removeJob(id).catch(toHttp);
      if (!removed) throw new NotFoundException(`No job with id ${JSON.stringify(id)} to remove.`);
      this.feed.invalidate();
      return { id, removed };
    }

    @Post('api/types/:type/retry-failed')
    @HttpCode(200)
    async retryFailed(@Param('type') type: string): Promise<{ type: string; retried: number }> {
      const retried = await this.queue.retryJobs({ type }).catch(toHttp);
      this.feed.invalidate();
      return { type, retried };
    }
  }
  return JobsDashboardController;
}

/** What Express's response and Fastify's reply both offer. */
interface HeaderSetter {
  header(name: string, value: string): unknown;
}

/** The queue's refusals as HTTP answers; anything else stays a 500. */
function toHttp(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof JobNotFoundError) throw new NotFoundException(message);
  if (error instanceof JobStateError) throw new ConflictException(message);
  if (error instanceof InvalidJobError) throw new BadRequestException(message);
  if (error instanceof QueueFullError || error instanceof QueueClosedError || error instanceof QueueUnavailableError) {
    throw new ServiceUnavailableException(message);
  }
  throw error;
}
