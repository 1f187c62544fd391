/**
 * Path mapping between the IDE's tree (local) and the debugger's (remote), pure: no I/O, no DAP
 * library. `PathMapping` maps one path; `requestToRemote`, `responseToLocal` and `eventToLocal`
 * rewrite every DAP message that carries a path, so the debugger only sees its own paths and the
 * IDE only sees local ones. Paths outside the mapped root (the Go standard library, site-packages)
 * pass unchanged.
 *
 * The remote side is a Linux container: `/` separators, case-sensitive. The local side follows
 * its root: a root like `C:\src\app` or `\\server\share` makes it Windows (either separator
 * accepted, compared without case, written back with `\`).
 */

export class PathMapping {
  private readonly local: string;
  private readonly remote: string;
  private readonly windows: boolean;

  constructor(localRoot: string, remoteRoot: string) {
    this.windows = isWindowsPath(localRoot);
    this.local = trimSeparators(this.windows ? localRoot.replace(/\//g, '\\') : localRoot, this.windows);
    this.remote = trimSeparators(remoteRoot, false);
  }

  get localRoot(): string {
    return this.local;
  }

  get remoteRoot(): string {
    return this.remote;
  }

  /** A local path as the debugger knows it; unchanged when it is not under the local root. */
  toRemote(localPath: string): string {
    const p = this.windows ? localPath.replace(/\//g, '\\') : localPath;
    const rest = under(p, this.local, this.windows ? '\\' : '/', this.windows);
    if (rest === undefined) return localPath;
    const tail = this.windows ? rest.replace(/\\/g, '/') : rest;
    return tail ? join(this.remote, tail, '/') : this.remote;
  }

  /** A debugger's path as the IDE knows it; unchanged when it is not under the remote root. */
  toLocal(remotePath: string): string {
    const rest = under(remotePath, this.remote, '/', false);
    if (rest === undefined) return remotePath;
    const sep = this.windows ? '\\' : '/';
    const tail = this.windows ? rest.replace(/\//g, '\\') : rest;
    return tail ? join(this.local, tail, sep) : this.local;
  }
}

/** A DAP `Source`, as far as paths go. */
export interface DapSource {
  name?: string;
  path?: string;
  sourceReference?: number;
  sources?: DapSource[];
  [key: string]: unknown;
}

type MapPath = (path: string) => string;

/** A copy of `source` with its path (and those of its related sources) mapped. */
export function mapSource(source: DapSource, map: MapPath): DapSource {
  const out: DapSource = { ...source };
  if (typeof source.path === 'string') out.path = map(source.path);
  if (Array.isArray(source.sources)) out.sources = source.sources.map((s) => (isObject(s) ? mapSource(s, map) : s));
  return out;
}

/**
 * Where paths sit in each message, as `field` or `field[].field` paths to a `Source` object (the
 * DAP specification 1.68: every request argument, response body and event body that has a
 * Source). A message not listed carries no path.
 */
const REQUEST_SOURCES: Record<string, string[]> = {
  setBreakpoints: ['source'],
  breakpointLocations: ['source'],
  source: ['source'],
  gotoTargets: ['source'],
  evaluate: ['source'],
};

const RESPONSE_SOURCES: Record<string, string[]> = {
  setBreakpoints: ['breakpoints[].source'],
  setFunctionBreakpoints: ['breakpoints[].source'],
  setExceptionBreakpoints: ['breakpoints[].source'],
  setDataBreakpoints: ['breakpoints[].source'],
  setInstructionBreakpoints: ['breakpoints[].source'],
  stackTrace: ['stackFrames[].source'],
  loadedSources: ['sources[]'],
  scopes: ['scopes[].source'],
  locations: ['source'],
  disassemble: ['instructions[].location'],
};

const EVENT_SOURCES: Record<string, string[]> = {
  breakpoint: ['breakpoint.source'],
  loadedSource: ['source'],
  output: ['source'],
};

/** The arguments of an IDE request, with local paths made remote. */
export function requestToRemote<T>(command: string, args: T, mapping: PathMapping): T {
  return rewrite(args, REQUEST_SOURCES[command], (p) => mapping.toRemote(p));
}

/** A debugger response's body, with remote paths made local. */
export function responseToLocal<T>(command: string, body: T, mapping: PathMapping): T {
  return rewrite(body, RESPONSE_SOURCES[command], (p) => mapping.toLocal(p));
}

/** A debugger event's body, with remote paths made local. */
export function eventToLocal<T>(event: string, body: T, mapping: PathMapping): T {
  return rewrite(body, EVENT_SOURCES[event], (p) => mapping.toLocal(p));
}

function rewrite<T>(value: T, locations: string[] | undefined, map: MapPath): T {
  if (!locations || !isObject(value)) return value;
  let out: unknown = value;
  for (const location of locations) out = rewriteAt(out, location.split('.'), map);
  return out as T;
}

/** Copies along `steps` (copy on write: the input is never modified) and maps the Source at the end. */
function rewriteAt(value: unknown, steps: string[], map: MapPath): unknown {
  if (steps.length === 0) return isObject(value) ? mapSource(value as DapSource, map) : value;
  if (!isObject(value)) return value;
  const [step, ...rest] = steps as [string, ...string[]];
  const isArray = step.endsWith('[]');
  const key = isArray ? step.slice(0, -2) : step;
  const child = (value as Record<string, unknown>)[key];
  if (child === undefined) return value;
  const next = isArray
    ? Array.isArray(child)
      ? child.map((item) => rewriteAt(item, rest, map))
      : child
    : rewriteAt(child, rest, map);
  return { ...(value as Record<string, unknown>), [key]: next };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isWindowsPath(p: string): boolean {
  return /^[A-Za-z]:([\\/]|$)/.test(p) || p.startsWith('\\\\');
}

function trimSeparators(root: string, windows: boolean): string {
  const trimmed = root.replace(windows ? /[\\]+$/ : /\/+$/, '');
  if (trimmed === '') return windows ? root : '/';
  if (windows && /^[A-Za-z]:$/.test(trimmed)) return `${trimmed}\\`;
  return trimmed;
}

/** The rest of `p` below `root` ('' for the root itself), or undefined when it is not below. */
function under(p: string, root: string, sep: string, ignoreCase: boolean): string | undefined {
  const a = ignoreCase ? p.toLowerCase() : p;
  const r = ignoreCase ? root.toLowerCase() : root;
  if (a === r) return '';
  const prefix = r.endsWith(sep) ? r : r + sep;
  if (!a.startsWith(prefix)) return undefined;
  return p.slice(prefix.length);
}

function join(root: string, rest: string, sep: string): string {
  return root.endsWith(sep) ? root + rest : root + sep + rest;
}
