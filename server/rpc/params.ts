import { ResponseError } from 'vscode-jsonrpc';
import { RpcErrorCode } from '../../protocol';

/**
 * Validation of incoming params: a few combinators that read an unknown value into a typed one
 * or throw InvalidParams naming the offending field ("params.path must be a string"). The wire
 * is untrusted; nothing below server/rpc sees unchecked input.
 */
export type Reader<T> = (value: unknown, at: string) => T;

function fail(at: string, expected: string, value: unknown): never {
  const got = value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 60) ?? String(value);
  throw new ResponseError(RpcErrorCode.InvalidParams, `${at} must be ${expected}, got ${got}.`);
}

export const string: Reader<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));

export const nonEmptyString: Reader<string> = (v, at) =>
  typeof v === 'string' && v.length > 0 ? v : fail(at, 'a non-empty string', v);

export const finiteNumber: Reader<number> = (v, at) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fail(at, 'a number', v);

export const progressToken: Reader<string | number> = (v, at) =>
  typeof v === 'string' || typeof v === 'number' ? v : fail(at, 'a string or a number', v);

export function oneOf<const T extends string>(...values: T[]): Reader<T> {
  return (v, at) => ((values as unknown[]).includes(v) ? (v as T) : fail(at, `one of ${values.map((x) => `"${x}"`).join(', ')}`, v));
}

type Shape = Record<string, Reader<unknown>>;
type Optional<T> = Reader<T> & { optional: true };
type Out<S extends Shape> = { [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Reader<infer T> ? T : never } & {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Reader<infer T> ? T : never;
};

/** A field that may be absent (or null, which clients such as Neovim send for "absent"). */
export function optional<T>(read: Reader<T>): Optional<T> {
  const r = ((v: unknown, at: string) => read(v, at)) as Optional<T>;
  r.optional = true;
  return r;
}

/** An object with the given fields; unknown fields are ignored for forward compatibility. */
export function object<S extends Shape>(shape: S): Reader<Out<S>> {
  return (v, at) => {
    // Absent params are an empty object; so is `[]`, which Lua clients (Neovim) send for `{}`.
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) v = {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(at, 'an object', v);
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, read] of Object.entries(shape)) {
      const value = input[key];
      if ((value === undefined || value === null) && (read as Partial<Optional<unknown>>).optional) continue;
      out[key] = read(value, `${at}.${key}`);
    }
    return out as Out<S>;
  };
}

/** Reads a request's params. */
export function readParams<T>(read: Reader<T>, params: unknown): T {
  return read(params, 'params');
}
