import { InvalidRequestError } from '../../errors/oauth.errors.js';

/** Thrown when a parameter is given more than once or is not a plain string (e.g. `code[]=a`, `code[$ne]=x`). */
export class DuplicateParameterError extends InvalidRequestError {
  constructor(readonly parameter: string) {
    super(`The ${parameter} parameter must be given once, as a string`);
  }
}

/** One parameter of a parsed query or form: a string, absent, or a 400. Never coerced. */
export function single(params: unknown, name: string, maxLength = 4096): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  if (!Object.hasOwn(params, name)) return undefined;
  const value = (params as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new DuplicateParameterError(name);
  if (value.length > maxLength) throw new InvalidRequestError(`The ${name} parameter is too long`);
  return value;
}
