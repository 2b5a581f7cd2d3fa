import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { JobsModuleOptions } from './interfaces/jobs-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableJobsModule,
  MODULE_OPTIONS_TOKEN: JOBS_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<JobsModuleOptions>({ moduleName: 'Jobs' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createJobsOptions')
  .build();
