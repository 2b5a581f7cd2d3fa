import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import { DASHBOARD_PAGE, dashboardCsp } from './dashboard.page.js';
import type { DashboardRequest, ResolvedDashboardOptions } from './jobs-dashboard.options.js';

/** What Express's response and the Node response under Fastify both are. */
interface NodeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** The headers of the page. */
export async function pageHeaders(): Promise<Array<[string, string]>> {
  return [
    ['Content-Type', 'text/html; charset=utf-8'],
    ['Content-Security-Policy', await dashboardCsp()],
    ['Cache-Control', 'no-store'],
    // The page's address may carry a token (?token=...): never send it on.
    ['Referrer-Policy', 'no-referrer'],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
  ];
}

/**
 * Runs before routing for every request at or under `path`, known route or
 * not: `authorize` first, and a refusal (anything but `true`, or a throw) is
 * 403 with no data. Also serves the page at `path/`, which Fastify would not route.
 */
@Injectable()
export class DashboardAuthMiddleware implements NestMiddleware {
  readonly #logger = new Logger('JobsDashboard');

  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  async use(request: DashboardRequest, response: NodeResponse, next: (error?: unknown) => void): Promise<void> {
    let allowed: unknown;
    try {
      allowed = await this.options.authorize(request);
    } catch (error) {
      this.#logger.error(`authorize threw, so the request was refused: ${error instanceof Error ? error.message : String(error)}`);
      allowed = false;
    }
    if (allowed !== true) {
      response.statusCode = 403;
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.setHeader('Cache-Control', 'no-store');
      response.end('{"statusCode":403,"message":"Forbidden"}');
      return;
    }
    if (request.method === 'GET' && ((request as { originalUrl?: string }).originalUrl ?? request.url).split('?')[0].endsWith(`/${this.options.path}/`)) {
      for (const [name, value] of await pageHeaders()) response.setHeader(name, value);
      response.statusCode = 200;
      response.end(DASHBOARD_PAGE);
      return;
    }
    next();
  }
}
