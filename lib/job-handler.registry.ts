import { Injectable } from '@nestjs/common';
import type { HandlerLookup, RegisteredHandler } from './engine/jobs-driver.js';
import type { JobHandlerFn } from './interfaces/job.interface.js';
import type { ResolvedHandlerOptions } from './jobs-options.js';
import { JobsConfigurationError } from './engine/jobs.errors.js';
import { duplicateHandler } from './jobs.messages.js';

/** Every job type this application handles, each bound once at start-up: dispatch is one Map lookup. */
@Injectable()
export class JobHandlerRegistry implements HandlerLookup {
  readonly #byType = new Map<string, RegisteredHandler>();
  readonly #all: RegisteredHandler[] = [];

  register(type: string, name: string, invoke: JobHandlerFn, options: ResolvedHandlerOptions): void {
    const existing = this.#byType.get(type);
    if (existing !== undefined) throw new JobsConfigurationError(duplicateHandler(type, existing.name, name));
    const handler: RegisteredHandler = Object.freeze({ index: this.#all.length, type, name, invoke, ...options });
    this.#byType.set(type, handler);
    this.#all.push(handler);
  }

  get(type: string): RegisteredHandler | undefined {
    return this.#byType.get(type);
  }

  all(): readonly RegisteredHandler[] {
    return this.#all;
  }

  types(): string[] {
    return [...this.#byType.keys()];
  }
}
