import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { JobHandlerDiscovery, type JobHandlerMetadata } from './job-handler.decorator.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import { JOBS_OPTIONS } from './jobs.constants.js';
import { JobsConfigurationError } from './engine/jobs.errors.js';
import { importedTwice, invalidHandlerType, scopedHandler } from './jobs.messages.js';
import { resolveHandlerOptions, type ResolvedJobsOptions } from './jobs-options.js';

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** Finds `@JobHandler` methods on the providers and controllers of every module, and registers them. */
@Injectable()
export class JobsExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: JobHandlerRegistry,
    @Inject(JOBS_OPTIONS) private readonly options: ResolvedJobsOptions,
    private readonly modules: ModulesContainer,
  ) {}

  explore(): void {
    const providers = this.discovery.getProviders();
    this.#checkImportedOnce(providers);
    const wrappers = [...providers, ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      // An alias (useExisting) points at a provider explored in its own right.
      if (wrapper.isAlias) continue;
      const prototype = prototypeOf(wrapper);
      if (prototype === null) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const metadata = Reflect.getMetadata(JobHandlerDiscovery.KEY, prototype[method]) as JobHandlerMetadata | undefined;
        if (metadata !== undefined) this.#register(wrapper, prototype, method, metadata);
      }
    }
  }

  /**
   * Two `forRoot`/`forRootAsync` imports with different options make two
   * global JobsModules, and which one a `JobQueue` comes from is down to
   * resolution order: refuse the start, naming the importing modules.
   */
  #checkImportedOnce(providers: readonly InstanceWrapper[]): void {
    const hosts = providers.filter((wrapper) => wrapper.metatype === JobsExplorer).map((wrapper) => wrapper.host);
    if (hosts.length < 2) return;
    // Nest links a global module into every module's imports, so the declared ones are read from @Module metadata.
    const jobsModule = hosts[0]!.metatype;
    const importers = new Set<string>();
    const configured: string[] = [];
    for (const module of this.modules.values()) {
      const declared = (Reflect.getMetadata('imports', module.metatype) ?? []) as unknown[];
      if (declared.some((entry) => (entry as { module?: unknown } | null)?.module === jobsModule)) importers.add(module.metatype.name);
      if (hosts.includes(module)) {
        const options = module.providers.get(JOBS_OPTIONS)?.instance as ResolvedJobsOptions | undefined;
        if (options) configured.push(`workers ${options.workers}, queueSize ${options.queueSize}, driver ${options.driver?.name ?? 'memory'}`);
      }
    }
    throw new JobsConfigurationError(importedTwice(hosts.length, [...importers], configured));
  }

  #register(wrapper: InstanceWrapper, prototype: Record<string, any>, method: string, metadata: JobHandlerMetadata): void {
    const where = `${prototype.constructor?.name ?? String(wrapper.name)}.${method}`;
    const { type, options } = metadata;
    if (typeof type !== 'string' || type.length === 0) throw new JobsConfigurationError(invalidHandlerType(where, type));
    const scope = wrapper.isTransient
      ? 'transient'
      : !wrapper.isDependencyTreeStatic()
        ? 'request-scoped (itself or through a dependency)'
        : undefined;
    if (scope !== undefined) throw new JobsConfigurationError(scopedHandler(type, where, scope));
    const resolved = resolveHandlerOptions(`@JobHandler("${type}") on ${where}`, options, this.options);
    const fn = prototype[method] as (...args: unknown[]) => unknown;
    this.registry.register(type, where, fn.bind(wrapper.instance), resolved);
  }
}

/** The prototype that holds the provider's methods, whether it came from a class, a factory or a value. */
function prototypeOf(wrapper: InstanceWrapper): Record<string, any> | null {
  const { metatype, inject, instance } = wrapper;
  if (typeof metatype === 'function' && !inject) return metatype.prototype ?? null;
  if (instance !== null && typeof instance === 'object') return Object.getPrototypeOf(instance);
  return null;
}
