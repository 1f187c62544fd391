import { ResponseError } from 'vscode-jsonrpc';
import { RpcErrorCode, type WorkloadKind } from '../../protocol';
import { WORKLOAD_KINDS, parseWorkloadKind } from '../devMode/kinds';

/**
 * Validation of incoming params: a few combinators that read an unknown value into a typed one
 * or throw InvalidParams naming the offending field ("params.path must be a string"). The wire
 * is untrusted; nothing below server/rpc sees unchecked input.
 */
export type Reader<T> = (value: unknown, at: string) => T;

function fail(at: string, expected: string, value: unknown): never {
  throw new ResponseError(RpcErrorCode.InvalidParams, `${at} must be ${expected}, got ${preview(value)}.`);
}

/** The start of a value as JSON, for an error message; a huge string is cut before it is encoded. */
function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  const cut = typeof value === 'string' && value.length > 60 ? value.slice(0, 60) : value;
  try {
    return JSON.stringify(cut)?.slice(0, 60) ?? String(value);
  } catch {
    // Framing refuses messages nested deeper than MAX_JSON_DEPTH; a value built in process may not be.
    return Array.isArray(value) ? 'an array' : typeof value;
  }
}

export const string: Reader<string> = (v, at) => (typeof v === 'string' ? v : fail(at, 'a string', v));

/** A string of at most `max` characters (names that are stored and shown to other clients). */
export function shortString(max: number): Reader<string> {
  return (v, at) => (typeof v === 'string' && v.length <= max ? v : fail(at, `a string of at most ${max} characters`, v));
}

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

export const boolean: Reader<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'true or false', v));

/** A whole number from `min` to `max` (ports, sizes, line counts). */
export function integer(min: number, max: number): Reader<number> {
  return (v, at) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fail(at, `a whole number from ${min} to ${max}`, v));
}

/** An array whose every element `read` accepts; `nonEmpty` refuses `[]`. */
export function arrayOf<T>(read: Reader<T>, nonEmpty = false): Reader<T[]> {
  return (v, at) => {
    if (!Array.isArray(v) || (nonEmpty && v.length === 0)) fail(at, nonEmpty ? 'a non-empty array' : 'an array', v);
    return (v as unknown[]).map((item, i) => read(item, `${at}[${i}]`));
  };
}

/** A workload kind as kubectl spells it (`deployment`, `deploy`, `sts`, ...), read as one of the six. */
export const workloadKind: Reader<WorkloadKind> = (v, at) => {
  const kind = typeof v === 'string' ? parseWorkloadKind(v) : undefined;
  return kind ?? fail(at, `one of ${WORKLOAD_KINDS.join(', ')}`, v);
};

/** The fields of a ClusterScope: where a request works. */
export const scopeFields = { context: optional(nonEmptyString), namespace: optional(nonEmptyString) };

/** The fields of a WorkloadRef. */
export const workloadRefFields = { ...scopeFields, kind: workloadKind, name: nonEmptyString };
