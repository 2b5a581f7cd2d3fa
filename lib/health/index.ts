export { JobsHealthIndicator, type JobsHealthDetails } from './jobs-health.indicator.js';
