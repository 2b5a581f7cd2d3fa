export { JobsHealthIndicator, type JobsHealthDetails, type JobsHealthSchedule } from './jobs-health.indicator.js';
