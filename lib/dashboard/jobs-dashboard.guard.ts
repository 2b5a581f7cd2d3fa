import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import type { DashboardRequest, ResolvedDashboardOptions } from './jobs-dashboard.options.js';

/** The header the page sends with every change; a page of another origin cannot send it without a CORS preflight. */
export const DASHBOARD_HEADER = 'x-jobs-dashboard';

const READS = new Set(['GET', 'HEAD']);

/**
 * Every route of the dashboard, after `authorize` (DashboardAuthMiddleware):
 * anything but GET and HEAD must come from the page itself, and not with `readOnly`.
 */
@Injectable()
export class DashboardGuard implements CanActivate {
  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<DashboardRequest>();
    if (READS.has(request.method)) return true;
    const crossOrigin = crossOriginReason(request);
    if (crossOrigin !== undefined) {
      throw new ForbiddenException(
        `Refused: ${crossOrigin}. Changes to jobs are accepted only from the dashboard page itself (same origin, with the X-Jobs-Dashboard header).`,
      );
    }
    if (this.options.readOnly) throw new ForbiddenException('Refused: this dashboard is read-only (readOnly: true).');
    return true;
  }
}

/** Why a change looks like it comes from another site; undefined when it does not. */
function crossOriginReason(request: DashboardRequest): string | undefined {
  const headers = request.headers;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${JSON.stringify(site)}`;
  const origin = headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== headers.host) return `Origin ${JSON.stringify(origin)} is not this host`;
  }
  if (headers[DASHBOARD_HEADER] !== '1') return 'the X-Jobs-Dashboard header is missing';
  return undefined;
}
