export { JobsDashboardModule } from './jobs-dashboard.module.js';
export type { DashboardRequest, JobsDashboardOptions } from './jobs-dashboard.options.js';
