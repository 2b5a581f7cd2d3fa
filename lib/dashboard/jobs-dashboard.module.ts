import { type DynamicModule, Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import { DashboardFeed } from './dashboard.feed.js';
import { dashboardController } from './jobs-dashboard.controller.js';
import { DashboardGuard } from './jobs-dashboard.guard.js';
import { DashboardAuthMiddleware } from './jobs-dashboard.middleware.js';
import { type JobsDashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './jobs-dashboard.options.js';

/**
 * A live page of the jobs and the JSON API it polls, served by the app under
 * `path`: `imports: [JobsDashboardModule.register({ authorize })]` next to
 * `JobsModule.forRoot()`. Throws JobsConfigurationError without `authorize`.
 */
@Module({})
export class JobsDashboardModule implements NestModule {
  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  /** `authorize` runs before routing, so a route that does not exist is refused like one that does. */
  configure(consumer: MiddlewareConsumer): void {
    const path = this.options.path;
    consumer
      .apply(DashboardAuthMiddleware)
      .forRoutes({ path, method: RequestMethod.ALL }, { path: `${path}/{*rest}`, method: RequestMethod.ALL });
  }

  static register(options: JobsDashboardOptions): DynamicModule {
    const resolved = resolveDashboardOptions(options);
    return {
      module: JobsDashboardModule,
      controllers: [dashboardController(resolved.path)],
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: resolved }, DashboardGuard, DashboardAuthMiddleware, DashboardFeed],
    };
  }
}
