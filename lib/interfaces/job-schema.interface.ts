/**
 * The part of Standard Schema v1 (https://standardschema.dev) a job handler
 * uses, written out structurally so the package needs no runtime or type
 * dependency: any zod, valibot, arktype … schema fits it.
 */
export interface JobSchema<Input = unknown, Output = Input> {
  readonly '~standard': JobSchemaProps<Input, Output>;
}

/** The `~standard` properties of a Standard Schema v1 object. */
export interface JobSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown, options?: { readonly libraryOptions?: Record<string, unknown> | undefined }) =>
    | JobSchemaResult<Output>
    | Promise<JobSchemaResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** What a Standard Schema's `validate` returns: the value, or the issues. */
export type JobSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/** One problem a schema found in a payload: where (`path`, keys from the payload's root) and what. */
export interface JobPayloadIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}
