/** The part of a logger the engine uses. Nest's `Logger` fits it as is. */
export interface JobsLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
