import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** node:util parseArgs, strict, with its errors as UsageErrors. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The options every cluster command takes. */
export const scopeOptions = {
  namespace: { type: 'string', short: 'n' },
  context: { type: 'string' },
} as const;

/** `{ namespace, context }` from parsed options, leaving out what was not given. */
export function scopeFrom(values: { namespace?: string | undefined; context?: string | undefined }): { namespace?: string; context?: string } {
  return { ...(values.namespace ? { namespace: values.namespace } : {}), ...(values.context ? { context: values.context } : {}) };
}
