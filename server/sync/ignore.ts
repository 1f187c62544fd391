import ignore from 'ignore';
import type { IgnoreMatcher } from './ops';

export interface IgnoreOptions {
  /** Nocalhost's sync.mode: `pattern` (filePattern and ignoreFilePattern) or `gitIgnore` (the tree's .gitignore). */
  mode?: 'pattern' | 'gitIgnore';
  /** What to sync, gitignore-like, relative to the local directory; default `./`, everything. */
  filePattern?: readonly string[];
  /** What to skip; wins over filePattern, as Nocalhost lists ignores first. */
  ignoreFilePattern?: readonly string[];
  /** The text of the root .gitignore (mode `gitIgnore`). */
  gitignoreText?: string;
}

/** Nocalhost writes patterns relative to the local directory: `./src` is anchored (`/src`), `*.log` is not. */
function normalize(pattern: string): string | undefined {
  const trimmed = pattern.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const negated = trimmed.startsWith('!');
  const body = negated ? trimmed.slice(1) : trimmed;
  const anchored = body.startsWith('./') ? `/${body.slice(2)}` : body;
  return negated ? `!${anchored}` : anchored;
}

const EVERYTHING = new Set(['.', './', '/', '*', '**', '/**']);

/** The literal directory prefix an anchored pattern needs (`/src/app/*.ts` → `src/app`); undefined if it can match anywhere. */
function anchoredPrefix(pattern: string): string | undefined {
  const body = pattern.replace(/\/$/, '');
  const anchored = body.startsWith('/') || body.slice(0, -1).includes('/');
  if (!anchored) return undefined;
  const segments = body.replace(/^\//, '').split('/');
  const literal: string[] = [];
  for (const segment of segments) {
    if (/[*?[\\]/.test(segment)) break;
    literal.push(segment);
  }
  return literal.join('/');
}

/**
 * The matcher for sync's `ignored` option, with gitignore semantics (the `ignore` package): true means the path
 * is left out. In `pattern` mode a path is synced when filePattern covers it (or it is a directory on the way to
 * something filePattern names) and ignoreFilePattern does not; in `gitIgnore` mode, when neither the
 * .gitignore nor ignoreFilePattern ignores it.
 */
export function makeIgnore(options: IgnoreOptions = {}): IgnoreMatcher {
  const skipped = ignore().add(
    [...(options.ignoreFilePattern ?? []), ...(options.mode === 'gitIgnore' ? (options.gitignoreText ?? '').split(/\r?\n/) : [])]
      .map(normalize)
      .filter((p): p is string => p !== undefined),
  );
  const includePatterns = options.mode === 'gitIgnore' ? [] : (options.filePattern ?? ['./']).map((p) => p.trim()).filter((p) => p !== '');
  const includesEverything = includePatterns.length === 0 || includePatterns.some((p) => EVERYTHING.has(p));
  const normalizedIncludes = includePatterns.map(normalize).filter((p): p is string => p !== undefined);
  const included = ignore().add(normalizedIncludes);
  const prefixes = normalizedIncludes.map(anchoredPrefix);
  const someMatchAnywhere = prefixes.some((p) => p === undefined || p === '');

  return (relativePath, isDirectory) => {
    if (relativePath === '' || relativePath.startsWith('/') || relativePath.startsWith('..')) return false;
    const candidate = isDirectory ? `${relativePath}/` : relativePath;
    if (skipped.ignores(candidate)) return true;
    if (includesEverything || included.ignores(candidate)) return false;
    // A directory leading to something filePattern names is kept, or what it names could never be reached.
    if (isDirectory && (someMatchAnywhere || prefixes.some((p) => p !== undefined && (p === relativePath || p.startsWith(`${relativePath}/`))))) return false;
    return true;
  };
}
