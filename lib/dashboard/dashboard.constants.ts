/** The resolved options of `JobsDashboardModule.register()`. */
export const DASHBOARD_OPTIONS = Symbol('nestjs-jobs:dashboard-options');
