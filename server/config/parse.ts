// parseDevConfig: text -> templating -> YAML -> checked against the field table -> normalized services.
// Pure: the only outside access is through the injected readFile.

import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document, type Node as YamlNode, type Pair } from 'yaml';
import { appRoot, fieldOf, service as serviceType, typeName, v1Root, v1ServiceFields, v2PathOfV1Key, type Field, type FieldType } from './fields';
import { LineIndex } from './lineIndex';
import { parseEnvFile, renderTemplate, type RenderResult } from './template';
import type {
  ApplicationInfo,
  ConfigDiagnostic,
  ContainerConfig,
  DevConfig,
  DevConfigInput,
  DevConfigResult,
  EnvFrom,
  EnvVar,
  Range,
  ServiceConfig,
  SourceRef,
} from './types';
import { checkDns1123Label, checkDns1123Subdomain, checkPort, checkPortPair, checkQuantity, resolveServiceType } from './validate';
import { parseManifest } from './manifest';
import { sortDiagnostics } from './diagnostics';

type Span = [number, number];
const SPAN = Symbol('span');
const KEYS = Symbol('keys');

/** An object produced by the walk: plain data plus (non-serialized) spans in the rendered text. */
interface Walked {
  [key: string]: unknown;
  [SPAN]: Span;
  [KEYS]: Record<string, { key: Span; value: Span }>;
}

const isWalked = (v: unknown): v is Walked => typeof v === 'object' && v !== null && !Array.isArray(v) && SPAN in v;

/** Carries the rendered text, its source map and the diagnostics of one parse. */
class Context {
  readonly diagnostics: ConfigDiagnostic[] = [];
  private readonly indexes = new Map<number, LineIndex>();
  doc: Document | undefined;

  constructor(
    readonly input: DevConfigInput,
    readonly rendered: RenderResult,
  ) {}

  private index(file: number): LineIndex {
    let idx = this.indexes.get(file);
    if (!idx) {
      idx = new LineIndex(this.rendered.files[file]?.text ?? '');
      this.indexes.set(file, idx);
    }
    return idx;
  }

  fileName(file: number): string {
    return this.rendered.files[file]?.fileName ?? this.input.fileName;
  }

  /** Maps a span of the rendered text to a range of the original text, plus its origin in an included file. */
  map(span: Span): { range: Range; origin?: SourceRef } {
    const r = this.rendered;
    const n = r.text.length;
    const main = this.index(0);
    if (n === 0) return { range: main.range(0, 0) };
    const s = Math.min(Math.max(0, span[0]), n - 1);
    let e = Math.max(span[1], span[0]);
    // Block nodes end after their last line break; a range ends at the last visible character.
    while (e > s + 1 && /\s/.test(r.text[e - 1] ?? '')) e--;
    const atEof = span[0] >= n;
    const last = Math.min(Math.max(e - 1, s), n - 1);
    const first = r.sourceOf(s);
    const final = r.sourceOf(last);
    // A copied character maps to itself; a generated one to its expression (see template.ts).
    let start = first.anchorStart;
    let end = final.anchorStart === final.anchorEnd ? final.anchorStart + (e > s ? 1 : 0) : final.anchorEnd;
    if (atEof) start = end = main.text.length;
    if (end < start) end = start;
    const result: { range: Range; origin?: SourceRef } = { range: main.range(start, end) };
    const file = first.file;
    if (file !== 0 && !atEof) {
      const os = first.off;
      const oe = final.file === file ? final.off + (e > s ? 1 : 0) : os;
      result.origin = { fileName: this.fileName(file), range: this.index(file).range(os, Math.max(os, oe)) };
    }
    return result;
  }

  report(severity: 'error' | 'warning', code: string, message: string, span: Span): void {
    const { range, origin } = this.map(span);
    const diag: ConfigDiagnostic = { severity, message, range, code };
    if (origin) {
      diag.origin = origin;
      diag.message += ` (in ${path.basename(origin.fileName)}:${origin.range.start.line + 1}:${origin.range.start.character + 1})`;
    }
    this.diagnostics.push(diag);
  }

  source(span: Span): { source: SourceRef; origin?: SourceRef } {
    const { range, origin } = this.map(span);
    return origin ? { source: { fileName: this.input.fileName, range }, origin } : { source: { fileName: this.input.fileName, range } };
  }

  /** "line N", or "line N of file.yaml" when the span came from an included file. */
  lineOf(span: Span): string {
    const { range, origin } = this.map(span);
    return origin ? `line ${origin.range.start.line + 1} of ${path.basename(origin.fileName)}` : `line ${range.start.line + 1}`;
  }

  /** The file a rendered offset came from (for paths relative to it). */
  fileAt(offset: number): string {
    return this.fileName(this.rendered.sourceOf(Math.min(offset, this.rendered.text.length - 1)).file);
  }
}

/**
 * Limits on one config, far beyond real ones (Nocalhost's bookinfo config is 10 KB with 6 services),
 * so that any input costs bounded time and memory: the text, what templating makes of it, the
 * services in it and the containers of one service. docs/config.md lists them.
 */
export const CONFIG_LIMITS = { textBytes: 256 * 1024, renderedChars: 512 * 1024, flowNesting: 64, services: 1000, containersPerService: 100 } as const;

/** Parses a dev config in any of its forms. Never throws: problems become diagnostics. */
export function parseDevConfig(input: DevConfigInput): DevConfigResult {
  if (input.text.length > CONFIG_LIMITS.textBytes) {
    return tooLarge(`the config is ${input.text.length} characters long; nhd reads configs of up to ${CONFIG_LIMITS.textBytes} (256 KiB). Trim it`);
  }
  const depth = flowDepth(input.text);
  if (depth > CONFIG_LIMITS.flowNesting) {
    return tooLarge(`the config nests [ ] and { } ${depth} levels deep; nhd reads up to ${CONFIG_LIMITS.flowNesting}`);
  }
  try {
    // A dev config never has apiVersion and kind at its top, so 'file' input that has them is manifests.
    const form = input.form === 'annotation' || input.form === 'manifest' ? input.form : looksLikeManifest(input.text) ? 'manifest' : 'file';
    if (form === 'manifest') return parseManifest(input, parseDevConfig);
    return parseConfigText(input, form);
  } catch (err) {
    // Guard: a bug here must not take the daemon down; report it where the user sees it.
    const message = err instanceof Error ? err.message : String(err);
    return { services: [], diagnostics: [{ severity: 'error', code: 'internal-error', message: `internal error while reading the config: ${message}`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }] };
  }
}

/**
 * The deepest nesting of YAML flow collections (`[`, `{`) outside quotes and comments: the YAML
 * parser recurses per level, so a deep one would exhaust the stack. Block nesting needs a line per
 * level and is bounded by the size limit.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\n') quote = ''; // A quote left open (an apostrophe in a plain scalar) ends with its line.
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

function tooLarge(message: string): DevConfigResult {
  return { services: [], diagnostics: [{ severity: 'error', code: 'config-too-large', message, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }] };
}

function looksLikeManifest(text: string): boolean {
  if (!/^kind\s*:/m.test(text) || !/^apiVersion\s*:/m.test(text)) return false;
  const docs = parseAllDocuments(text);
  return Array.isArray(docs) && (docs as Document[]).some((d) => isMap(d.contents) && d.contents.has('apiVersion') && d.contents.has('kind'));
}

/** Reads configProperties.envFile from the raw text (before templating), like Nocalhost does. */
function preScanEnvFile(input: DevConfigInput, diagnostics: ConfigDiagnostic[]): Record<string, string> | undefined {
  let doc: Document;
  try {
    doc = parseDocument(input.text, { uniqueKeys: false });
  } catch {
    return undefined;
  }
  const node = doc.getIn(['configProperties', 'envFile'], true);
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') return undefined;
  const abs = path.resolve(path.dirname(input.fileName), node.value.trim());
  const text = input.readFile?.(abs);
  if (text === undefined) {
    const idx = new LineIndex(input.text);
    const r = node.range ?? [0, 0, 0];
    diagnostics.push({ severity: 'warning', code: 'env-file-not-found', message: `cannot read envFile ${abs}; templates are rendered without it`, range: idx.range(r[0], r[1]) });
    return undefined;
  }
  return parseEnvFile(text);
}

function parseConfigText(input: DevConfigInput, form: 'file' | 'annotation'): DevConfigResult {
  const early: ConfigDiagnostic[] = [];
  // Only a config that names an envFile pays for the extra parse.
  const fallbackEnv = form === 'file' && input.text.includes('envFile') ? preScanEnvFile(input, early) : undefined;
  const rendered = renderTemplate(input.text, {
    fileName: input.fileName,
    env: input.env ?? {},
    ...(fallbackEnv ? { fallbackEnv } : {}),
    readFile: input.readFile,
  });
  if (rendered.text.length > CONFIG_LIMITS.renderedChars) {
    return tooLarge(`templating made the config ${rendered.text.length} characters long (includes and variables); nhd reads up to ${CONFIG_LIMITS.renderedChars}`);
  }
  const ctx = new Context(input, rendered);
  ctx.diagnostics.push(...early);
  const mainIdx = new LineIndex(input.text);
  for (const d of rendered.diagnostics) {
    const diag: ConfigDiagnostic = { severity: d.severity, code: d.code, message: d.message, range: mainIdx.range(d.start, d.end) };
    if (d.origin) {
      const f = rendered.files[d.origin.file];
      const oi = new LineIndex(f?.text ?? '');
      diag.origin = { fileName: f?.fileName ?? '', range: oi.range(d.origin.start, d.origin.end) };
      diag.message += ` (in ${path.basename(diag.origin.fileName)}:${diag.origin.range.start.line + 1}:${diag.origin.range.start.character + 1})`;
    }
    ctx.diagnostics.push(diag);
  }

  const docs = parseAllDocuments(rendered.text, { uniqueKeys: false, merge: true, prettyErrors: false }) as Document[] | { empty: true };
  const list: Document[] = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    for (const e of doc.errors) ctx.report('error', 'yaml-syntax', cleanYamlMessage(e.message), e.pos);
    for (const w of doc.warnings) ctx.report('warning', 'yaml-warning', cleanYamlMessage(w.message), w.pos);
  }
  const result: DevConfigResult = { services: [], diagnostics: ctx.diagnostics };
  parseInto(ctx, list, result, form);
  sortDiagnostics(result.diagnostics);
  return result;
}

function parseInto(ctx: Context, list: Document[], result: DevConfigResult, form: 'file' | 'annotation'): void {
  const doc = list[0];
  if (!doc || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    if (!ctx.diagnostics.some((d) => d.severity === 'error'))
      ctx.report('warning', 'empty-config', 'the config is empty', [0, 0]);
    return;
  }
  for (const extra of list.slice(1)) {
    if (extra.contents !== null) ctx.report('warning', 'multiple-documents', 'only the first YAML document is read; this one is ignored', rangeOf(extra.contents));
  }
  ctx.doc = doc;
  const root = doc.contents as YamlNode;

  if (isSeq(root)) {
    const items = walk(ctx, root, { kind: 'array', items: serviceType }, 'services');
    result.services = toServices(ctx, Array.isArray(items) ? items : [], form, false);
  } else if (form === 'file' && isMap(root) && root.has('services') && !root.has('application') && !root.has('configProperties') && !root.has('containers')) {
    // Nocalhost's v1: the application's keys at the top and services of ServiceDevOptions.
    const app = walk(ctx, root, v1Root, '');
    ctx.report(
      'warning',
      'config-v1',
      'this is a Nocalhost v1 config (services with devContainerImage, runCommand, syncFilePattern, ...); nhd reads it converted as Nocalhost converts it. Write it as v2: configProperties: { version: v2 } and application.services[].containers[].dev (docs/config.md, "v1 configs")',
      firstKeySpan(root),
    );
    if (isWalked(app)) {
      result.services = toServices(ctx, objs(app, 'services').map(v1Service), form, false);
      result.application = toApplication(ctx, app);
    }
  } else if (isMap(root) && (root.has('application') || root.has('configProperties'))) {
    const app = walk(ctx, root, appRoot, '');
    const application = isWalked(app) ? app['application'] : undefined;
    if (isWalked(application)) {
      const services = application['services'];
      result.services = toServices(ctx, Array.isArray(services) ? services : [], form, false);
      result.application = toApplication(ctx, application);
    }
  } else if (isMap(root)) {
    const one = walk(ctx, root, serviceType, 'service');
    if (isWalked(one)) {
      if (one['containers'] === undefined && one['dependLabelSelector'] === undefined && !root.items.some((p) => isScalar(p.key) && fieldOf(serviceType, String(p.key.value))))
        ctx.report('error', 'unrecognized-shape', 'this is not a Nocalhost dev config: expected application/configProperties, a list of services, or a service with containers', firstKeySpan(root));
      else result.services = toServices(ctx, [one], form, true);
    }
  } else {
    ctx.report('error', 'unrecognized-shape', 'this is not a Nocalhost dev config: expected application/configProperties, a list of services, or a service with containers', rangeOf(root));
  }
}

function cleanYamlMessage(message: string): string {
  // yaml's messages end with " at line L, column C:" and a code excerpt; the range carries that.
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

function rangeOf(node: unknown): Span {
  const r = (node as { range?: [number, number, number] | null }).range;
  return r ? [r[0], r[1]] : [0, 0];
}

function firstKeySpan(node: unknown): Span {
  if (isMap(node)) {
    const first = node.items[0];
    if (first && isScalar(first.key)) return rangeOf(first.key);
  }
  const r = rangeOf(node);
  return [r[0], r[0]];
}

function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (typeof node.value === 'number') return 'a number';
    if (typeof node.value === 'boolean') return 'a boolean';
    return `the string ${JSON.stringify(String(node.value))}`;
  }
  return 'an unsupported value';
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = v;
    }
  }
  return at(x.length, y.length);
}

function suggest(key: string, type: FieldType): string {
  if (type.kind !== 'object') return '';
  let best: string | undefined;
  let bestD = Infinity;
  for (const f of type.fields) {
    const d = editDistance(key, f.key);
    if (d < bestD) {
      bestD = d;
      best = f.key;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function deref(ctx: Context, node: unknown): unknown {
  if (isAlias(node) && ctx.doc) return node.resolve(ctx.doc);
  return node;
}

/**
 * Checks a node against a field type, reporting problems; returns plain data, or undefined when
 * absent or invalid. `quiet`: a not-applied ancestor was reported, so its fields are not again.
 */
function walk(ctx: Context, raw: unknown, type: FieldType, where: string, quiet = false): unknown {
  const node = deref(ctx, raw);
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
  const span = rangeOf(node);
  const typeError = (): undefined => {
    ctx.report('error', 'invalid-type', `${where || 'value'} should be ${article(type)}, not ${describe(node)}`, span);
    return undefined;
  };
  switch (type.kind) {
    case 'any':
      return ctx.doc ? (node as { toJS(doc: Document): unknown }).toJS(ctx.doc) : undefined;
    case 'string': {
      if (!isScalar(node)) return typeError();
      const v = node.value;
      const s = typeof v === 'string' ? v : ctx.rendered.text.slice(span[0], span[1]);
      if (type.format === 'service-type') return s;
      if (type.enum && !type.enum.includes(s)) {
        ctx.report('error', type.enumCode ?? 'invalid-value', `${where} must be one of ${type.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(s)}`, span);
        return undefined;
      }
      const message = checkFormat(type.format, s);
      if (message) {
        ctx.report('error', formatCode(type.format), `${where}: ${message}`, span);
        return undefined;
      }
      return s;
    }
    case 'integer': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) return typeError();
      if (type.format === 'port') {
        const message = checkPort(node.value);
        if (message) {
          ctx.report('error', 'invalid-port', `${where}: ${message}`, span);
          return undefined;
        }
      }
      return node.value;
    }
    case 'boolean': {
      if (!isScalar(node)) return typeError();
      if (typeof node.value === 'boolean') return node.value;
      // Like Nocalhost's YAML decoder, YAML 1.1 words are booleans when a boolean is expected.
      if (typeof node.value === 'string' && yaml11True.has(node.value)) return true;
      if (typeof node.value === 'string' && yaml11False.has(node.value)) return false;
      return typeError();
    }
    case 'array': {
      if (!isSeq(node)) return typeError();
      const out: unknown[] = [];
      for (const item of node.items) {
        const v = walk(ctx, item, type.items, where, quiet);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    case 'object': {
      if (!isMap(node)) return typeError();
      const out = { [SPAN]: span, [KEYS]: {} } as Walked;
      for (const pair of entries(ctx, node.items as Pair[])) {
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        const keySpan = rangeOf(keyNode);
        const field = fieldOf(type, key);
        if (!field) {
          const v2 = type === serviceType || type.name === 'container' || type.name === 'devConfig' ? v2PathOfV1Key(key) : undefined;
          const hint = v2 ? ` (a Nocalhost v1 key; v2 writes it as ${v2} of the service)` : suggest(key, type);
          ctx.report('warning', 'unknown-key', `unknown key "${key}"${where ? ` in ${where}` : ''}${hint}; it is ignored`, keySpan);
          continue;
        }
        const reported = !quiet && field.status.kind === 'notApplied' && reportNotApplied(ctx, where, field, pair.value, keySpan);
        const value = walk(ctx, pair.value, field.type, key, quiet || reported);
        out[KEYS][key] = { key: keySpan, value: pair.value ? rangeOf(deref(ctx, pair.value)) : keySpan };
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
  }
}

/**
 * A field nhd does not act on, set to something that would change what Nocalhost does: a
 * `not-applied` warning that says why. A value that changes nothing (empty, false, the default)
 * is not reported. Returns whether it reported.
 */
function reportNotApplied(ctx: Context, where: string, field: Field, raw: unknown, keySpan: Span): boolean {
  if (field.status.kind !== 'notApplied') return false;
  const node = deref(ctx, raw);
  if (node === null || node === undefined) return false;
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === '' || v === false || (typeof v === 'string' && yaml11False.has(v)) || v === field.default) return false;
    if ((typeof v === 'string' || typeof v === 'boolean') && field.status.same?.includes(v)) return false;
  }
  if ((isSeq(node) || isMap(node)) && node.items.length === 0) return false;
  const name = where && !['service', 'services', 'containers'].includes(where) ? `${where}.${field.key}` : field.key;
  ctx.report('warning', 'not-applied', `${name} is not applied by nhd: ${field.status.why}`, keySpan);
  return true;
}

const yaml11True = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const yaml11False = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

function article(type: FieldType): string {
  switch (type.kind) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    default:
      return `a ${typeName(type)}`;
  }
}

/** The pairs of a mapping with duplicates resolved (the last one wins, the others are reported) and `<<` merges applied. */
function entries(ctx: Context, items: Pair[]): Pair[] {
  const byKey = new Map<string, Pair>();
  const merged: Pair[] = [];
  for (const pair of items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : isAlias(pair.key) ? '<<alias>>' : '';
    // With `merge: true`, yaml gives the merge key `<<` a symbol value.
    if (key === '<<' || key === 'Symbol(<<)') {
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const src of sources) {
        const m = deref(ctx, src);
        if (isMap(m)) merged.push(...(m.items as Pair[]));
      }
      continue;
    }
    const earlier = byKey.get(key);
    if (earlier) {
      ctx.report('warning', 'duplicate-key', `duplicate key "${key}": this value is ignored, the one on ${ctx.lineOf(rangeOf(pair.key))} is used`, rangeOf(earlier.key));
      byKey.delete(key);
    }
    byKey.set(key, pair);
  }
  for (const pair of merged) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!byKey.has(key)) byKey.set(key, pair);
  }
  return [...byKey.values()];
}

function checkFormat(format: string | undefined, s: string): string | undefined {
  switch (format) {
    case 'quantity':
      return checkQuantity(s);
    case 'port-pair':
      return checkPortPair(s);
    case 'dns1123-label':
      return checkDns1123Label(s);
    case 'dns1123-subdomain':
      return checkDns1123Subdomain(s);
    default:
      return undefined;
  }
}

function formatCode(format: string | undefined): string {
  switch (format) {
    case 'quantity':
      return 'invalid-quantity';
    case 'port-pair':
      return 'invalid-port-pair';
    case 'dns1123-label':
    case 'dns1123-subdomain':
      return 'invalid-name';
    default:
      return 'invalid-value';
  }
}

// ---- Normalization: walked data -> the model, with Nocalhost's defaults ----

const str = (o: Walked | undefined, k: string): string | undefined => {
  const v = o?.[k];
  return typeof v === 'string' ? v : undefined;
};
const strs = (o: Walked | undefined, k: string): string[] | undefined => {
  const v = o?.[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
};
const obj = (o: Walked | undefined, k: string): Walked | undefined => {
  const v = o?.[k];
  return isWalked(v) ? v : undefined;
};
const objs = (o: Walked | undefined, k: string): Walked[] => {
  const v = o?.[k];
  return Array.isArray(v) ? v.filter(isWalked) : [];
};
const bool = (o: Walked | undefined, k: string): boolean | undefined => {
  const v = o?.[k];
  return typeof v === 'boolean' ? v : undefined;
};
const keySpan = (o: Walked, k: string): Span => o[KEYS][k]?.key ?? [o[SPAN][0], o[SPAN][0]];
const valueSpan = (o: Walked, k: string): Span => o[KEYS][k]?.value ?? keySpan(o, k);
const firstKey = (o: Walked): Span => {
  const first = Object.values(o[KEYS])[0];
  return first ? first.key : [o[SPAN][0], o[SPAN][0]];
};

/**
 * Normalizes the services of a config. In the annotation form a single service is the annotated
 * workload; from a list, only the workload's own entry is kept (Nocalhost looks it up by name and type).
 */
function toServices(ctx: Context, items: unknown[], form: 'file' | 'annotation', single: boolean): ServiceConfig[] {
  const all = toServiceList(ctx, items, form, single);
  const w = ctx.input.workload;
  if (form !== 'annotation' || single || !w) return all;
  const kind = resolveServiceType(w.kind.toLowerCase()).type;
  const mine = all.filter((s) => s.name === w.name && s.serviceType === kind);
  if (mine.length === 0 && all.length > 0)
    ctx.report('warning', 'no-matching-service', `none of these services is ${w.kind} "${w.name}", the annotated workload`, [0, 0]);
  return mine;
}

function toServiceList(ctx: Context, items: unknown[], form: 'file' | 'annotation', single: boolean): ServiceConfig[] {
  const out: { svc: ServiceConfig; span: Span }[] = [];
  if (items.length > CONFIG_LIMITS.services) {
    const over = items[CONFIG_LIMITS.services];
    ctx.report('error', 'too-many-entries', `the config has ${items.length} services; nhd reads the first ${CONFIG_LIMITS.services}`, isWalked(over) ? over[SPAN] : [0, 0]);
    items = items.slice(0, CONFIG_LIMITS.services);
  }
  for (const item of items) {
    if (!isWalked(item)) continue;
    const svc = toService(ctx, item, form, single);
    if (svc) out.push({ svc, span: item[KEYS]['name']?.value ?? firstKey(item) });
  }
  // Nocalhost keeps the last of services with the same name and type.
  const lastIndex = new Map<string, number>();
  out.forEach(({ svc }, i) => lastIndex.set(`${svc.serviceType}/${svc.name}`, i));
  const spans = out.map(({ span }) => span);
  return out
    .filter(({ svc, span }, i) => {
      const last = lastIndex.get(`${svc.serviceType}/${svc.name}`) ?? i;
      if (last === i) return true;
      ctx.report('warning', 'duplicate-service', `service "${svc.name}" (${svc.serviceType}) is defined again on ${ctx.lineOf(spans[last] ?? span)}; this definition is ignored`, span);
      return false;
    })
    .map(({ svc }) => svc);
}

function toService(ctx: Context, o: Walked, form: 'file' | 'annotation', single: boolean): ServiceConfig | undefined {
  let name = str(o, 'name');
  let rawType = str(o, 'serviceType');
  if (form === 'annotation') {
    // Workload kinds are CamelCase (Deployment); serviceType is their lower-case form.
    const kind = ctx.input.workload?.kind.toLowerCase();
    if (single) {
      name = ctx.input.workload?.name ?? name ?? '';
      rawType = kind ?? rawType ?? 'deployment';
    } else {
      name = name ?? ctx.input.workload?.name ?? '';
      rawType = rawType ?? kind ?? 'deployment';
    }
  }
  let ok = true;
  if (name === undefined) {
    if (!(o[KEYS]['name'])) ctx.report('error', 'missing-required', 'a service needs a name (the workload\'s name)', firstKey(o));
    ok = false;
  }
  let serviceType: ServiceConfig['serviceType'] | undefined;
  if (rawType === undefined) {
    if (!o[KEYS]['serviceType']) ctx.report('error', 'missing-required', `service${name ? ` "${name}"` : ''} needs a serviceType (${'deployment, statefulset, daemonset, job, cronjob or pod'})`, firstKey(o));
    ok = false;
  } else {
    const resolved = resolveServiceType(rawType);
    const span = o[KEYS]['serviceType'] ? valueSpan(o, 'serviceType') : firstKey(o);
    if (resolved.error) {
      ctx.report('error', 'invalid-service-type', resolved.error, span);
      ok = false;
    } else if (resolved.warning) ctx.report('warning', 'invalid-service-type', resolved.warning, span);
    serviceType = resolved.type;
  }
  if (!ok || name === undefined || serviceType === undefined) return undefined;

  const containers: ContainerConfig[] = [];
  const seen = new Map<string, Span>();
  let entries = objs(o, 'containers');
  if (entries.length > CONFIG_LIMITS.containersPerService) {
    const over = entries[CONFIG_LIMITS.containersPerService]!;
    ctx.report('error', 'too-many-entries', `service "${name}" has ${entries.length} containers; nhd reads the first ${CONFIG_LIMITS.containersPerService}`, over[SPAN]);
    entries = entries.slice(0, CONFIG_LIMITS.containersPerService);
  }
  for (const c of entries) {
    const container = toContainer(ctx, c);
    const cname = container.name;
    const earlier = seen.get(cname);
    if (earlier) {
      ctx.report('warning', 'duplicate-container', `container ${cname ? `"${cname}"` : 'without a name'} is already configured on ${ctx.lineOf(earlier)}; this entry is ignored`, c[KEYS]['name'] ? valueSpan(c, 'name') : firstKey(c));
      continue;
    }
    seen.set(cname, c[KEYS]['name'] ? valueSpan(c, 'name') : firstKey(c));
    containers.push(container);
  }
  const svc: ServiceConfig = { name, serviceType, containers, ...ctx.source(o[SPAN]) };
  const priorityClass = str(o, 'priorityClass');
  if (priorityClass !== undefined) svc.priorityClass = priorityClass;
  const dls = obj(o, 'dependLabelSelector');
  if (dls) svc.dependLabelSelector = { pods: strs(dls, 'pods') ?? [], jobs: strs(dls, 'jobs') ?? [], tcp: strs(dls, 'tcp') ?? [], http: strs(dls, 'http') ?? [] };
  // Keep the field order stable for --json: name, serviceType, ..., containers, source.
  const { containers: cs, source, origin, ...rest } = svc;
  return { ...rest, containers: cs, source, ...(origin ? { origin } : {}) };
}

function toEnv(ctx: Context, owner: Walked | undefined): { env: EnvVar[]; envFrom?: EnvFrom } {
  const env: EnvVar[] = [];
  for (const e of objs(owner, 'env')) {
    const name = str(e, 'name');
    if (name === undefined || name === '') {
      ctx.report('error', 'missing-required', 'an env entry needs a name', firstKey(e));
      continue;
    }
    env.push({ name, value: str(e, 'value') ?? '' });
  }
  const from = obj(owner, 'envFrom');
  if (!from) return { env };
  const envFrom: EnvFrom = { envFile: [] };
  const fromVars: EnvVar[] = [];
  for (const f of objs(from, 'envFile')) {
    const p = str(f, 'path');
    if (p === undefined) continue;
    const abs = path.resolve(path.dirname(ctx.fileAt(valueSpan(f, 'path')[0])), p);
    envFrom.envFile.push({ path: abs });
    const text = ctx.input.readFile?.(abs);
    if (text === undefined) {
      ctx.report('warning', 'env-file-not-found', `cannot read env file ${abs}`, valueSpan(f, 'path'));
      continue;
    }
    for (const [name, value] of Object.entries(parseEnvFile(text))) {
      const i = fromVars.findIndex((v) => v.name === name);
      if (i >= 0) fromVars.splice(i, 1);
      fromVars.push({ name, value });
    }
  }
  const names = new Set(env.map((e) => e.name));
  return { env: [...fromVars.filter((v) => !names.has(v.name)), ...env], envFrom };
}

function toContainer(ctx: Context, c: Walked): ContainerConfig {
  const container: ContainerConfig = { name: str(c, 'name') ?? '', dev: toDev(ctx, obj(c, 'dev')), ...ctx.source(c[SPAN]) };
  const hub = obj(c, 'hub');
  if (hub) container.hub = { image: str(hub, 'image') ?? '' };
  const install = obj(c, 'install');
  if (install) {
    const { env, envFrom } = toEnv(ctx, install);
    container.install = { env, ...(envFrom ? { envFrom } : {}), portForward: strs(install, 'portForward') ?? [] };
  }
  const { name, hub: h, install: i, dev, source, origin } = container;
  return { name, ...(h ? { hub: h } : {}), ...(i ? { install: i } : {}), dev, source, ...(origin ? { origin } : {}) };
}

function toDev(ctx: Context, d: Walked | undefined): DevConfig {
  const sync = obj(d, 'sync');
  const command = obj(d, 'command');
  const { env, envFrom } = toEnv(ctx, d);
  const filePattern = strs(sync, 'filePattern');
  const dev: DevConfig = {
    gitUrl: str(d, 'gitUrl') ?? '',
    image: str(d, 'image') ?? '',
    shell: str(d, 'shell') ?? '',
    workDir: str(d, 'workDir') || '/home/nocalhost-dev',
    storageClass: str(d, 'storageClass') ?? '',
    persistentVolumeDirs: objs(d, 'persistentVolumeDirs').map((p) => {
      const dir: DevConfig['persistentVolumeDirs'][number] = { path: str(p, 'path') ?? '' };
      const capacity = str(p, 'capacity');
      if (capacity !== undefined) dir.capacity = capacity;
      const wait = bool(p, 'waitForFirstConsumer');
      if (wait !== undefined) dir.waitForFirstConsumer = wait;
      return dir;
    }),
    command: {
      build: strs(command, 'build') ?? [],
      run: strs(command, 'run') ?? [],
      debug: strs(command, 'debug') ?? [],
      hotReloadRun: strs(command, 'hotReloadRun') ?? [],
      hotReloadDebug: strs(command, 'hotReloadDebug') ?? [],
    },
    hotReload: bool(d, 'hotReload') ?? false,
    useDevContainer: bool(d, 'useDevContainer') ?? false,
    sync: {
      type: str(sync, 'type') === 'sendReceive' ? 'sendReceive' : 'send',
      mode: str(sync, 'mode') === 'gitIgnore' ? 'gitIgnore' : 'pattern',
      filePattern: filePattern && filePattern.length > 0 ? filePattern : ['./'],
      ignoreFilePattern: strs(sync, 'ignoreFilePattern') ?? [],
      deleteProtection: bool(sync, 'deleteProtection') ?? true,
    },
    env,
    portForward: strs(d, 'portForward') ?? [],
    patches: objs(d, 'patches').map((p) => {
      const t = str(p, 'type');
      return { patch: str(p, 'patch') ?? '', type: t === 'merge' || t === 'json' ? t : 'strategic' };
    }),
  };
  const pull = str(d, 'imagePullPolicy');
  if (pull === 'Always' || pull === 'IfNotPresent' || pull === 'Never') dev.imagePullPolicy = pull;
  const devContainerName = str(d, 'devContainerName');
  if (devContainerName !== undefined) dev.devContainerName = devContainerName;
  const resources = obj(d, 'resources');
  if (resources) {
    dev.resources = {};
    for (const k of ['limits', 'requests'] as const) {
      const q = obj(resources, k);
      if (!q) continue;
      const cpu = str(q, 'cpu');
      const memory = str(q, 'memory');
      dev.resources[k] = { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
    }
  }
  const debug = obj(d, 'debug');
  if (debug) {
    dev.debug = {};
    const port = debug['remoteDebugPort'];
    if (typeof port === 'number') dev.debug.remoteDebugPort = port;
    const language = str(debug, 'language');
    if (language !== undefined) dev.debug.language = language as NonNullable<DevConfig['debug']>['language'] & string;
  }
  if (envFrom) dev.envFrom = envFrom;
  const sidecarImage = str(d, 'sidecarImage');
  if (sidecarImage !== undefined) dev.sidecarImage = sidecarImage;
  // Field order as in Nocalhost's struct, for readable --json output.
  const order: (keyof DevConfig)[] = ['gitUrl', 'image', 'imagePullPolicy', 'shell', 'workDir', 'storageClass', 'devContainerName', 'resources', 'persistentVolumeDirs', 'command', 'debug', 'hotReload', 'useDevContainer', 'sync', 'env', 'envFrom', 'portForward', 'sidecarImage', 'patches'];
  const sorted: Record<string, unknown> = {};
  for (const k of order) if (dev[k] !== undefined) sorted[k] = dev[k];
  return sorted as unknown as DevConfig;
}

/** A walked object made by the v1 conversion: it keeps the spans of the v1 keys it came from. */
function synthetic(span: Span): Walked {
  return { [SPAN]: span, [KEYS]: {} } as Walked;
}

/** Sets `key` of `to` from `from`'s `fromKey`, with its spans, when present. */
function carry(to: Walked, key: string, from: Walked, fromKey: string): void {
  if (from[fromKey] === undefined) return;
  to[key] = from[fromKey];
  const spans = from[KEYS][fromKey];
  if (spans) to[KEYS][key] = spans;
}

/** Sets `path` (dotted, `[]` for the one-item list the conversion makes) of `to`, making the objects on the way. */
function carryTo(to: Walked, path: string, from: Walked, fromKey: string): void {
  if (from[fromKey] === undefined) return;
  const keys = path.split('.');
  let at = to;
  for (const k of keys.slice(0, -1)) {
    const list = k.endsWith('[]');
    const name = list ? k.slice(0, -2) : k;
    if (at[name] === undefined) {
      const made = synthetic(from[SPAN]);
      at[name] = list ? [made] : made;
      at[KEYS][name] = from[KEYS][fromKey] ?? { key: from[SPAN], value: from[SPAN] };
    }
    const next = at[name];
    at = (Array.isArray(next) ? next[0] : next) as Walked;
  }
  carry(at, keys.at(-1)!, from, fromKey);
}

/**
 * A v1 service as Nocalhost's convertServiceConfigV1ToV2 makes it v2: one container entry without
 * a name (the workload's first container) holding the dev keys, dependJobs/PodsLabelSelector as
 * dependLabelSelector, syncDirs dropped. The spans stay those of the v1 keys.
 */
function v1Service(v1: Walked): Walked {
  const svc = synthetic(v1[SPAN]);
  const container = synthetic(v1[SPAN]);
  container['dev'] = synthetic(v1[SPAN]);
  svc['containers'] = [container];
  for (const f of v1ServiceFields) if (f.v2) carryTo(svc, f.v2, v1, f.key);
  return svc;
}

function toApplication(ctx: Context, a: Walked): ApplicationInfo {
  return { name: str(a, 'name') ?? '', manifestType: str(a, 'manifestType') ?? '', env: toEnv(ctx, a).env };
}
