import ignore from 'ignore';
import type { IgnoreMatcher } from './ops';

export interface IgnoreOptions {
  /** Nocalhost's sync.mode: `pattern` (filePattern and ignoreFilePattern) or `gitIgnore` (the tree's .gitignore). */
  mode?: 'pattern' | 'gitIgnore';
  /** What to sync, gitignore-like, relative to the local directory; default `./`, everything. */
  filePattern?: readonly string[];
  /** What to skip; wins over filePattern, as Nocalhost lists ignores first. */
  ignoreFilePattern?: readonly string[];
  /** The text of the root .gitignore (mode `gitIgnore`); shorthand for `gitignores: {'': text}`. */
  gitignoreText?: string;
  /**
   * Every .gitignore of the tree (mode `gitIgnore`), by the directory holding it ('' for the root).
   * As in git, each applies to the paths under its directory, relative to it, and a deeper file's
   * rule overrides a shallower one's (`!keep.log` in src/.gitignore re-includes src/keep.log).
   */
  gitignores?: ReadonlyMap<string, string>;
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
  const skipped = ignore().add((options.ignoreFilePattern ?? []).map(normalize).filter((p): p is string => p !== undefined));
  const gitignored = options.mode === 'gitIgnore' ? gitignoreMatcher(options.gitignores ?? new Map([['', options.gitignoreText ?? '']])) : () => false;
  const includePatterns = options.mode === 'gitIgnore' ? [] : (options.filePattern ?? ['./']).map((p) => p.trim()).filter((p) => p !== '');
  const includesEverything = includePatterns.length === 0 || includePatterns.some((p) => EVERYTHING.has(p));
  const normalizedIncludes = includePatterns.map(normalize).filter((p): p is string => p !== undefined);
  const included = ignore().add(normalizedIncludes);
  const prefixes = normalizedIncludes.map(anchoredPrefix);
  const someMatchAnywhere = prefixes.some((p) => p === undefined || p === '');

  return (relativePath, isDirectory) => {
    if (relativePath === '' || relativePath.startsWith('/') || relativePath.startsWith('..')) return false;
    const candidate = isDirectory ? `${relativePath}/` : relativePath;
    if (skipped.ignores(candidate) || gitignored(relativePath, isDirectory)) return true;
    if (includesEverything || included.ignores(candidate)) return false;
    // A directory leading to something filePattern names is kept, or what it names could never be reached.
    if (isDirectory && (someMatchAnywhere || prefixes.some((p) => p !== undefined && (p === relativePath || p.startsWith(`${relativePath}/`))))) return false;
    return true;
  };
}

/** The .gitignore files of a tree as one matcher: git's rules, the deepest file that decides wins. */
function gitignoreMatcher(files: ReadonlyMap<string, string>): (relativePath: string, isDirectory: boolean) => boolean {
  const levels = [...files.entries()]
    .map(([dir, text]) => ({ dir, rules: ignore().add(text.split(/\r?\n/)) }))
    .sort((a, b) => a.dir.split('/').length - b.dir.split('/').length || a.dir.localeCompare(b.dir));
  return (relativePath, isDirectory) => {
    let ignored = false;
    for (const { dir, rules } of levels) {
      if (dir !== '' && !relativePath.startsWith(`${dir}/`)) continue;
      const inner = dir === '' ? relativePath : relativePath.slice(dir.length + 1);
      const verdict = rules.test(isDirectory ? `${inner}/` : inner);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  };
}

/**
 * The .gitignore files of a tree, by directory, read as sync would walk the tree: a directory
 * an outer .gitignore (or ignoreFilePattern) leaves out is not entered, as git does not.
 */
export function readGitignores(options: Omit<IgnoreOptions, 'gitignores' | 'gitignoreText'>, fsApi: GitignoreFs): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    const text = fsApi.readText(dir === '' ? '.gitignore' : `${dir}/.gitignore`);
    if (text !== undefined) files.set(dir, text);
    const matcher = makeIgnore({ ...options, mode: 'gitIgnore', gitignores: files });
    for (const name of fsApi.subdirectories(dir)) {
      const child = dir === '' ? name : `${dir}/${name}`;
      if (name === '.git' || matcher(child, true)) continue;
      walk(child);
    }
  };
  walk('');
  return files;
}

/** What readGitignores reads, relative to the root (fs in the daemon, a fake in tests). */
export interface GitignoreFs {
  readText(relativePath: string): string | undefined;
  subdirectories(relativeDir: string): string[];
}
