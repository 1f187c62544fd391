// Nocalhost-style templating of a config text, with a source map back to the original text.
//
// Supported, as Nocalhost's envsubst does: `${VAR}`, `$VAR`, `$$` (a literal `$`), and the operators
// `${VAR:-default}` / `${VAR:=default}` (default when unset or empty), `${VAR-default}` / `${VAR=default}`
// (default when unset), `${VAR:+alt}` / `${VAR+alt}` (alt when set). `${_INCLUDE_:-path | nindent N}`
// inserts another file (rendered the same way, relative to the including file), preceded by a newline
// and with every line indented by N spaces when the content has more than one line.
//
// Position rule: every character of the output remembers where it came from. A character copied from
// the original text maps to itself; a character produced by a variable maps to the whole `${...}`
// expression; a character from an included file maps to the whole include expression in the original
// text (and, as its origin, to its own place in the included file).

import path from 'node:path';

export interface TemplateDiagnostic {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** Offsets in the original (main) text. */
  start: number;
  end: number;
  /** Set when the problem is inside an included file. */
  origin?: { file: number; start: number; end: number };
}

export interface RenderResult {
  text: string;
  /** Index 0 is the main file; others are included files. */
  files: { fileName: string; text: string }[];
  /** Where output character `i` came from: its file index, its offset in that file, and its anchor span in the main text. */
  sourceOf(i: number): { file: number; off: number; anchorStart: number; anchorEnd: number };
  diagnostics: TemplateDiagnostic[];
}

export interface RenderOptions {
  fileName: string;
  /** Looked up first; then `fallbackEnv` (the envFile's variables). */
  env: Readonly<Record<string, string | undefined>>;
  fallbackEnv?: Readonly<Record<string, string>>;
  readFile?: ((absPath: string) => string | undefined) | undefined;
}

/** Deepest nesting of `${...}` inside defaults and of includes: far beyond real configs, and it bounds the work. */
export const MAX_TEMPLATE_DEPTH = 32;

/**
 * A run of output characters that map alike: copied characters advance through their source
 * (`step` 1), characters a variable produced all map to its expression (`step` 0). The source map
 * is one entry per run, not per character, so rendering is linear in the text with a small constant.
 */
interface Run {
  out: number;
  len: number;
  file: number;
  off: number;
  /** 1: the offset advances with the output; 0: every character maps to `off`. */
  offStep: 0 | 1;
  aS: number;
  aE: number;
  /** 1: the anchor is the character's own offset in the main text (a copied main-text character). */
  anchorStep: 0 | 1;
}

class Builder {
  private readonly parts: string[] = [];
  readonly runs: Run[] = [];
  length = 0;

  /** Appends `text` with the mapping of `run` (its `out` and `len` are filled in here). */
  push(text: string, run: Omit<Run, 'out' | 'len'>): void {
    if (text.length === 0) return;
    const last = this.runs[this.runs.length - 1];
    const continues =
      last !== undefined &&
      last.file === run.file &&
      last.offStep === run.offStep &&
      last.anchorStep === run.anchorStep &&
      last.off + last.offStep * last.len === run.off &&
      last.aS + last.anchorStep * last.len === run.aS &&
      (run.anchorStep === 1 || last.aE === run.aE);
    if (continues) last.len += text.length;
    else this.runs.push({ ...run, out: this.length, len: text.length });
    this.parts.push(text);
    this.length += text.length;
  }

  text(): string {
    const joined = this.parts.join('');
    this.parts.length = 0;
    this.parts.push(joined);
    return joined;
  }
}

/** The mapping of output character `k` of `run`. */
function sourceIn(run: Run, k: number): { file: number; off: number; anchorStart: number; anchorEnd: number } {
  const anchorStart = run.aS + run.anchorStep * k;
  return { file: run.file, off: run.off + run.offStep * k, anchorStart, anchorEnd: run.anchorStep ? anchorStart : run.aE };
}

/** Finds the run holding output offset `i` (binary search; runs are ordered by `out`). */
function runAt(runs: Run[], i: number): Run | undefined {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]!.out <= i) lo = mid;
    else hi = mid - 1;
  }
  return runs[lo];
}

const identChar = /[A-Za-z0-9_]/;

interface Frame {
  fileIdx: number;
  text: string;
  /** Anchor in the main text for everything rendered in this frame (includes), or null for the main text. */
  anchor: [number, number] | null;
  stack: string[];
}

/** Renders `text` (the file `fileName`) with variables and includes. Never throws. */
export function renderTemplate(text: string, opts: RenderOptions): RenderResult {
  const files = [{ fileName: opts.fileName, text }];
  const diagnostics: TemplateDiagnostic[] = [];
  const lookup = (name: string): string | undefined => opts.env[name] ?? opts.fallbackEnv?.[name];

  const report = (frame: Frame, severity: 'error' | 'warning', code: string, message: string, start: number, end: number): void => {
    if (frame.anchor === null) diagnostics.push({ severity, code, message, start, end });
    else diagnostics.push({ severity, code, message, start: frame.anchor[0], end: frame.anchor[1], origin: { file: frame.fileIdx, start, end } });
  };

  // Renders frame.text[from, to) into `out`, every character anchored to its own offset (or the frame's anchor).
  const renderRange = (frame: Frame, from: number, to: number, out: Builder, depth: number): void => {
    const t = frame.text;
    const comments = new CommentFinder(t);
    const lit = (start: number, end: number): void => {
      const a = frame.anchor;
      out.push(t.slice(start, end), { file: frame.fileIdx, off: start, offStep: 1, aS: a ? a[0] : start, aE: a ? a[1] : start, anchorStep: a ? 0 : 1 });
    };
    const synth = (s: string, exprStart: number, exprEnd: number): void => {
      const a = frame.anchor ?? [exprStart, exprEnd];
      out.push(s, { file: frame.fileIdx, off: exprStart, offStep: 0, aS: a[0], aE: a[1], anchorStep: 0 });
    };
    let i = from;
    while (i < to) {
      if (t[i] !== '$') {
        const next = t.indexOf('$', i);
        const end = next < 0 || next > to ? to : next;
        lit(i, end);
        i = end;
        continue;
      }
      const next = t[i + 1];
      if (next === '$') {
        // `$$` is a literal `$`.
        synth('$', i, i + 2);
        i += 2;
        continue;
      }
      if (next !== undefined && identChar.test(next)) {
        let j = i + 1;
        while (j < to && identChar.test(t[j] ?? '')) j++;
        const name = t.slice(i + 1, j);
        if (name === '_') {
          lit(i, i + 1);
          i++;
          continue;
        }
        const value = lookup(name);
        if (value === undefined && !comments.inComment(i))
          report(frame, 'warning', 'undefined-variable', `$${name} is not set and becomes empty (write $$ for a literal $)`, i, j);
        synth(value ?? '', i, j);
        i = j;
        continue;
      }
      if (next !== '{') {
        lit(i, i + 1);
        i++;
        continue;
      }
      const expr = parseExpression(t, i, to);
      if (typeof expr === 'string') {
        if (!comments.inComment(i)) report(frame, 'error', 'template-syntax', expr, i, Math.min(to, lineEnd(t, i)));
        lit(i, i + 1);
        i++;
        continue;
      }
      if (depth >= MAX_TEMPLATE_DEPTH) {
        report(frame, 'error', 'template-too-deep', `templates nest more than ${MAX_TEMPLATE_DEPTH} levels deep here; nhd stops expanding them`, i, expr.end);
        i = expr.end;
        continue;
      }
      if (expr.name === '_INCLUDE_') {
        renderInclude(frame, expr, out, depth + 1);
      } else {
        const value = lookup(expr.name);
        let result: string;
        const def = (): string => renderString(frame, expr.argStart, expr.argEnd, depth + 1);
        switch (expr.op) {
          case '':
            if (value === undefined && !comments.inComment(i)) report(frame, 'warning', 'undefined-variable', `\${${expr.name}} is not set and becomes empty`, i, expr.end);
            result = value ?? '';
            break;
          case ':-':
          case ':=':
            result = value !== undefined && value !== '' ? value : def();
            break;
          case '-':
          case '=':
            result = value !== undefined ? value : def();
            break;
          case ':+':
          case '+':
            result = value !== undefined ? def() : '';
            break;
        }
        synth(result, i, expr.end);
      }
      i = expr.end;
    }
  };

  const renderString = (frame: Frame, from: number, to: number, depth: number): string => {
    const b = new Builder();
    renderRange(frame, from, to, b, depth);
    return b.text();
  };

  const renderInclude = (frame: Frame, expr: Expression, out: Builder, depth: number): void => {
    const spec = renderString(frame, expr.argStart, expr.argEnd, depth);
    const parsed = parseIncludeSpec(spec);
    if (typeof parsed === 'string') {
      report(frame, 'error', 'invalid-include', parsed, expr.start, expr.end);
      return;
    }
    const base = files[frame.fileIdx]?.fileName ?? opts.fileName;
    const abs = path.resolve(path.dirname(base), parsed.path);
    if (frame.stack.includes(abs)) {
      report(frame, 'error', 'include-cycle', `circular include: ${[...frame.stack, abs].map((p) => path.basename(p)).join(' -> ')}`, expr.start, expr.end);
      return;
    }
    const content = opts.readFile?.(abs);
    if (content === undefined) {
      report(frame, 'error', 'include-not-found', `cannot read included file ${abs}`, expr.start, expr.end);
      return;
    }
    files.push({ fileName: abs, text: content });
    const child: Frame = { fileIdx: files.length - 1, text: content, anchor: frame.anchor ?? [expr.start, expr.end], stack: [...frame.stack, abs] };
    const inner = new Builder();
    renderRange(child, 0, content.length, inner, depth);
    const innerText = inner.text();
    const [aS, aE] = child.anchor ?? [expr.start, expr.end];
    const indentation = ' '.repeat(parsed.indent);
    const generated = { file: frame.fileIdx, off: expr.start, offStep: 0, aS, aE, anchorStep: 0 } as const;
    if (innerText.includes('\n')) out.push('\n' + indentation, generated);
    // Copy the inner runs, each line followed by the indentation (nindent indents every line).
    for (const run of inner.runs) {
      let k = 0;
      while (k < run.len) {
        const newline = innerText.indexOf('\n', run.out + k);
        const stop = newline < 0 || newline >= run.out + run.len ? run.len : newline - run.out + 1;
        const at = sourceIn(run, k);
        out.push(innerText.slice(run.out + k, run.out + stop), { file: at.file, off: at.off, offStep: run.offStep, aS: at.anchorStart, aE: run.anchorStep ? at.anchorStart : run.aE, anchorStep: run.anchorStep });
        if (stop < run.len || innerText[run.out + stop - 1] === '\n') out.push(indentation, generated);
        k = stop;
      }
    }
  };

  const out = new Builder();
  renderRange({ fileIdx: 0, text, anchor: null, stack: [path.resolve(opts.fileName)] }, 0, text.length, out, 0);
  const runs = out.runs;
  return {
    text: out.text(),
    files,
    sourceOf: (i) => {
      const run = runAt(runs, i);
      return run ? sourceIn(run, Math.min(Math.max(0, i - run.out), run.len - 1)) : { file: 0, off: 0, anchorStart: 0, anchorEnd: 0 };
    },
    diagnostics,
  };
}

interface Expression {
  start: number;
  end: number;
  name: string;
  op: '' | ':-' | ':=' | '-' | '=' | ':+' | '+';
  argStart: number;
  argEnd: number;
}

/**
 * Whether an offset is inside a YAML comment: after a `#` that starts the line or follows a space,
 * with no quote before it on the line (a heuristic, good enough to keep warnings off comments).
 * Each line is scanned once, however many offsets on it are asked about.
 */
class CommentFinder {
  private lineStart = -1;
  private lineEnd = -1;
  /** Where the current line's comment starts, or Infinity when it has none. */
  private commentAt = Infinity;

  constructor(private readonly t: string) {}

  inComment(i: number): boolean {
    if (i < this.lineStart || i > this.lineEnd) {
      const start = this.t.lastIndexOf('\n', i - 1) + 1;
      const end = lineEnd(this.t, start);
      this.lineStart = start;
      this.lineEnd = end;
      this.commentAt = Infinity;
      for (let k = start; k < end; k++) {
        const c = this.t[k];
        if (c === '"' || c === "'") break;
        if (c === '#' && (k === start || this.t[k - 1] === ' ' || this.t[k - 1] === '\t')) {
          this.commentAt = k;
          break;
        }
      }
    }
    return i > this.commentAt;
  }
}

function lineEnd(t: string, i: number): number {
  const n = t.indexOf('\n', i);
  return n < 0 ? t.length : n;
}

/** Parses `${NAME[op arg]}` at `i`; returns a message when it is malformed. */
function parseExpression(t: string, i: number, to: number): Expression | string {
  let j = i + 2;
  while (j < to && identChar.test(t[j] ?? '')) j++;
  const name = t.slice(i + 2, j);
  if (name === '') return 'expected a variable name after "${"';
  let op: Expression['op'] = '';
  for (const candidate of [':-', ':=', ':+', '-', '=', '+'] as const) {
    if (t.startsWith(candidate, j)) {
      op = candidate;
      break;
    }
  }
  if (op === '' && t[j] !== '}') return `unexpected "${t[j] ?? 'end of text'}" in \${${name}...}; expected "}" or one of :- := :+ - = +`;
  const argStart = j + op.length;
  let depth = 1;
  let k = argStart;
  for (; k < to; k++) {
    // An expression ends on its line: an unclosed `${` (while typing) must not swallow the file.
    if (t[k] === '\n') break;
    if (t[k] === '$' && t[k + 1] === '{') {
      depth++;
      k++;
    } else if (t[k] === '}') {
      depth--;
      if (depth === 0) break;
    }
  }
  if (depth !== 0) return `closing "}" expected on the same line for \${${name}`;
  return { start: i, end: k + 1, name, op, argStart, argEnd: k };
}

/** Parses `path [| nindent N]`; `\|` stands for a `|` in the path. */
export function parseIncludeSpec(spec: string): { path: string; indent: number } | string {
  const parts = spec.replaceAll('\\|', '\u0000').split('|').map((p) => p.replaceAll('\u0000', '|'));
  const p = (parts[0] ?? '').trim();
  if (p === '') return '_INCLUDE_ needs a file path, e.g. ${_INCLUDE_:-./services.yaml | nindent 4}';
  if (parts.length === 1) return { path: p, indent: 0 };
  if (parts.length > 2) return `_INCLUDE_ takes one operation after "|", got "${spec.trim()}"`;
  const ops = (parts[1] ?? '').split(/\s+/).filter((s) => s !== '');
  if (ops.length === 0) return { path: p, indent: 0 };
  if (ops.length === 2 && ops[0] === 'nindent' && /^\d+$/.test(ops[1] ?? '')) return { path: p, indent: Number(ops[1]) };
  return `unsupported _INCLUDE_ operation "${(parts[1] ?? '').trim()}"; only "nindent N" is supported`;
}

/** Parses a KEY=VALUE env file the way Nocalhost does: lines without "=" or starting with "#" are skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    if (key !== '') vars[key] = line.slice(eq + 1);
  }
  return vars;
}
