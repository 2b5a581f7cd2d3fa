import { Injectable, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type Job, JobHandler, JobQueue, type JobsModuleOptions, JobsModule, UnrecoverableJobError } from '../../lib/index.js';
import { type JobsDashboardOptions, JobsDashboardModule } from '../../lib/dashboard/index.js';
import { NestRecordingLogger } from './app.js';
import { type DriverFixture, memoryDriver } from './drivers.js';

/** The HTTP adapters the dashboard is served on. */
export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

/** The token the test apps' `authorize` wants, as `?token=` or a bearer header. */
export const TOKEN = 's3cret-token';

/** `authorize` as a user writes it: a bearer header or `?token=`. */
export function tokenAuthorize(request: { headers: Record<string, unknown>; url: string }): boolean {
  if (request.headers.authorization === `Bearer ${TOKEN}`) return true;
  return new URL(request.url, 'http://x').searchParams.get('token') === TOKEN;
}

/** A user's handlers: `charge` fails for good until its id is healed; `report` completes. */
@Injectable()
export class ShopJobs {
  readonly healed = new Set<string>();

  @JobHandler('charge', { maxRetries: 1 })
  async charge(job: Job<{ card: string }>): Promise<void> {
    if (!this.healed.has(job.id)) throw new UnrecoverableJobError(`card ${job.payload.card} declined`);
  }

  @JobHandler('report')
  async report(job: Job<{ rows: number }>): Promise<number> {
    return job.payload.rows;
  }
}

export interface DashboardApp {
  app: INestApplication;
  jobs: JobQueue;
  shop: ShopJobs;
  logger: NestRecordingLogger;
  /** `http://127.0.0.1:port` */
  origin: string;
  /** Submits a charge that fails for good and resolves once its failure is stored. */
  failCharge(id: string, card?: string): Promise<void>;
  close(): Promise<void>;
}

/** A user's app with the dashboard, listening on a free loopback port. */
export async function startDashboardApp(
  dashboard: Partial<JobsDashboardOptions> = {},
  {
    adapter = 'express',
    fixture = memoryDriver,
    jobs: jobsOptions = {},
    globalPrefix,
  }: { adapter?: AdapterName; fixture?: DriverFixture; jobs?: Partial<JobsModuleOptions>; globalPrefix?: string } = {},
): Promise<DashboardApp> {
  const logger = new NestRecordingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      JobsModule.forRoot(fixture.moduleOptions({ workers: 2, queueSize: 100, shutdownTimeout: 2000, ...jobsOptions })),
      JobsDashboardModule.register({ authorize: tokenAuthorize, ...dashboard }),
    ],
    providers: [ShopJobs],
  })
    .setLogger(logger)
    .compile();
  const app = adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger }) : moduleRef.createNestApplication({ logger });
  if (globalPrefix !== undefined) app.setGlobalPrefix(globalPrefix);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const jobs = app.get(JobQueue);
  const shop = app.get(ShopJobs);
  return {
    app,
    jobs,
    shop,
    logger,
    origin: `http://127.0.0.1:${address.port}`,
    async failCharge(id, card = '4242') {
      const failed = new Promise<void>((resolve) => {
        const subscription = jobs.events$.subscribe((event) => {
          if (event.kind === 'failed' && event.job.id === id) {
            subscription.unsubscribe();
            resolve();
          }
        });
      });
      await jobs.submit('charge', { card }, { id });
      await failed;
    },
    close: () => app.close(),
  };
}
