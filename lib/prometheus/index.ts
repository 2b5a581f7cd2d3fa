export { JobsPrometheusModule, type JobsPrometheusOptions } from './jobs-prometheus.module.js';
