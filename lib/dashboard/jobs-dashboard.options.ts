import { JobsConfigurationError } from '../index.js';

/**
 * The request `authorize` is given: Express's request, or on Fastify the Node
 * request (`IncomingMessage`); these fields are common to both (cast for more).
 */
export interface DashboardRequest {
  readonly method: string;
  /** The path and query string as received. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Options of `JobsDashboardModule.register()`. */
export interface JobsDashboardOptions {
  /** Where the page and its JSON API are served (under the app's global prefix, if any). Default `'jobs'`. */
  path?: string;
  /**
   * Asked first on every request at or under `path`; anything but `true` (or a
   * promise of it) answers 403 with no data. Required.
   */
  authorize: (request: DashboardRequest) => boolean | Promise<boolean>;
  /** No retry or remove: the buttons are absent and the server refuses those requests. Default false. */
  readOnly?: boolean;
  /** Payloads in the page, its JSON API and its updates. Default false: never sent. */
  showPayloads?: boolean;
}

/** The options as the dashboard uses them. */
export interface ResolvedDashboardOptions {
  /** Without leading or trailing slash. */
  path: string;
  authorize: JobsDashboardOptions['authorize'];
  readOnly: boolean;
  showPayloads: boolean;
}

const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** Checks and completes the options; throws JobsConfigurationError naming the field. */
export function resolveDashboardOptions(options: JobsDashboardOptions | undefined): ResolvedDashboardOptions {
  const given = options ?? ({} as Partial<JobsDashboardOptions>);
  if (typeof given.authorize !== 'function') {
    throw new JobsConfigurationError(
      `JobsDashboardModule: authorize must be a function (request) => boolean | Promise<boolean>, got ${describe(given.authorize)}. ` +
        'The dashboard shows and changes jobs: decide who may see it, e.g. authorize: (request) => request.headers.authorization === `Bearer ${token}`.',
    );
  }
  const path = (given.path ?? 'jobs').replace(/^\/+|\/+$/g, '');
  if (typeof given.path !== 'undefined' && (typeof given.path !== 'string' || !PATH.test(path))) {
    throw new JobsConfigurationError(
      `JobsDashboardModule: path must be a URL path such as 'jobs' or 'admin/jobs' (letters, digits, . _ ~ - and /), got ${describe(given.path)}.`,
    );
  }
  for (const flag of ['readOnly', 'showPayloads'] as const) {
    if (typeof given[flag] !== 'undefined' && typeof given[flag] !== 'boolean') {
      throw new JobsConfigurationError(`JobsDashboardModule: ${flag} must be true or false, got ${describe(given[flag])}.`);
    }
  }
  return { path, authorize: given.authorize, readOnly: given.readOnly ?? false, showPayloads: given.showPayloads ?? false };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
