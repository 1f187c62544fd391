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
  /** Per output character: file index, offset in that file, and anchor span in the main text. */
  file: Int32Array;
  off: Int32Array;
  anchorStart: Int32Array;
  anchorEnd: Int32Array;
  diagnostics: TemplateDiagnostic[];
}

export interface RenderOptions {
  fileName: string;
  /** Looked up first; then `fallbackEnv` (the envFile's variables). */
  env: Readonly<Record<string, string | undefined>>;
  fallbackEnv?: Readonly<Record<string, string>>;
  readFile?: ((absPath: string) => string | undefined) | undefined;
}

class Builder {
  chars: string[] = [];
  file: number[] = [];
  off: number[] = [];
  aS: number[] = [];
  aE: number[] = [];
  push(ch: string, file: number, off: number, aS: number, aE: number): void {
    this.chars.push(ch);
    this.file.push(file);
    this.off.push(off);
    this.aS.push(aS);
    this.aE.push(aE);
  }
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
  const renderRange = (frame: Frame, from: number, to: number, out: Builder): void => {
    const t = frame.text;
    const lit = (i: number): void => {
      const a = frame.anchor;
      out.push(t[i] ?? '', frame.fileIdx, i, a ? a[0] : i, a ? a[1] : i);
    };
    const synth = (s: string, exprStart: number, exprEnd: number): void => {
      const a = frame.anchor ?? [exprStart, exprEnd];
      for (const ch of s) for (let k = 0; k < ch.length; k++) out.push(ch[k] ?? '', frame.fileIdx, exprStart, a[0], a[1]);
    };
    let i = from;
    while (i < to) {
      const ch = t[i];
      if (ch !== '$') {
        lit(i);
        i++;
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
          lit(i);
          i++;
          continue;
        }
        const value = lookup(name);
        if (value === undefined && !inComment(t, i))
          report(frame, 'warning', 'undefined-variable', `$${name} is not set and becomes empty (write $$ for a literal $)`, i, j);
        synth(value ?? '', i, j);
        i = j;
        continue;
      }
      if (next !== '{') {
        lit(i);
        i++;
        continue;
      }
      const expr = parseExpression(t, i, to);
      if (typeof expr === 'string') {
        if (!inComment(t, i)) report(frame, 'error', 'template-syntax', expr, i, Math.min(to, lineEnd(t, i)));
        lit(i);
        i++;
        continue;
      }
      if (expr.name === '_INCLUDE_') {
        renderInclude(frame, expr, out);
      } else {
        const value = lookup(expr.name);
        let result: string;
        const def = (): string => renderString(frame, expr.argStart, expr.argEnd);
        switch (expr.op) {
          case '':
            if (value === undefined && !inComment(t, i)) report(frame, 'warning', 'undefined-variable', `\${${expr.name}} is not set and becomes empty`, i, expr.end);
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

  const renderString = (frame: Frame, from: number, to: number): string => {
    const b = new Builder();
    renderRange(frame, from, to, b);
    return b.chars.join('');
  };

  const renderInclude = (frame: Frame, expr: Expression, out: Builder): void => {
    const spec = renderString(frame, expr.argStart, expr.argEnd);
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
    renderRange(child, 0, content.length, inner);
    const [aS, aE] = child.anchor ?? [expr.start, expr.end];
    const indent = parsed.indent;
    const multiLine = inner.chars.includes('\n');
    const pushIndent = (): void => {
      for (let k = 0; k < indent; k++) out.push(' ', frame.fileIdx, expr.start, aS, aE);
    };
    if (multiLine) {
      out.push('\n', frame.fileIdx, expr.start, aS, aE);
      pushIndent();
    }
    for (let k = 0; k < inner.chars.length; k++) {
      const c = inner.chars[k] ?? '';
      out.push(c, inner.file[k] ?? 0, inner.off[k] ?? 0, inner.aS[k] ?? aS, inner.aE[k] ?? aE);
      if (c === '\n') pushIndent();
    }
  };

  const out = new Builder();
  renderRange({ fileIdx: 0, text, anchor: null, stack: [path.resolve(opts.fileName)] }, 0, text.length, out);
  return {
    text: out.chars.join(''),
    files,
    file: Int32Array.from(out.file),
    off: Int32Array.from(out.off),
    anchorStart: Int32Array.from(out.aS),
    anchorEnd: Int32Array.from(out.aE),
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
 * Whether offset i is inside a YAML comment: after a `#` that starts the line or follows a space,
 * with no quote before it on the line (a heuristic, good enough to keep warnings off comments).
 */
function inComment(t: string, i: number): boolean {
  const start = t.lastIndexOf('\n', i - 1) + 1;
  for (let k = start; k < i; k++) {
    const c = t[k];
    if (c === '"' || c === "'") return false;
    if (c === '#' && (k === start || t[k - 1] === ' ' || t[k - 1] === '\t')) return true;
  }
  return false;
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
