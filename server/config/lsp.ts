// Completion and hover for `.nocalhost/config.yaml`, computed from the text alone.
// The place in the tree is found from indentation (not from a YAML parse), so it works while the
// file is half-typed and not valid YAML yet. Plain data in, plain data out: no LSP types here.

import { appFields, appRoot, fieldOf, service, serviceFields, statusText, typeName, type Field, type FieldType } from './fields';
import { LineIndex } from './lineIndex';
import type { ConfigCompletion, ConfigDoc, ConfigHover, DocFormat, Position } from './types';

interface LineInfo {
  blank: boolean;
  dashCols: number[];
  keyCol: number;
  key?: string;
  keyEnd: number;
  /** Text after "key:" without a trailing comment, trimmed. */
  value: string;
  valueCol: number;
}

const keyPattern = /^("[^"]*"|'[^']*'|[^\s:#'"[\]{},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)/;

function analyze(text: string): LineInfo {
  const trimmed = text.trim();
  const info: LineInfo = { blank: false, dashCols: [], keyCol: 0, keyEnd: 0, value: '', valueCol: text.length };
  if (trimmed === '' || trimmed.startsWith('#') || /^\$\{_INCLUDE_/.test(trimmed) || trimmed === '---') {
    info.blank = true;
    return info;
  }
  let i = text.length - text.trimStart().length;
  while (text[i] === '-' && (text[i + 1] === ' ' || i + 1 === text.length)) {
    info.dashCols.push(i);
    i++;
    while (text[i] === ' ') i++;
  }
  info.keyCol = i;
  const m = keyPattern.exec(text.slice(i));
  if (m && m[1] !== undefined) {
    const raw = m[1];
    info.key = raw.startsWith('"') || raw.startsWith("'") ? raw.slice(1, -1) : raw;
    info.keyEnd = i + raw.length;
    const after = i + m[0].length;
    const rest = text.slice(after);
    const valueText = rest.replace(/\s+#.*$/, '');
    info.valueCol = after + (valueText.length - valueText.trimStart().length);
    info.value = valueText.trim();
  }
  return info;
}

/** The path of keys ('[]' for a list item) that encloses column `col` of line `line`. */
function ancestors(idx: LineIndex, line: number, col: number): string[] {
  const path: string[] = [];
  let c = col;
  for (let i = line - 1; i >= 0 && c > 0; i--) {
    const info = analyze(idx.lineText(i));
    if (info.blank) continue;
    if (info.key !== undefined && info.keyCol < c) {
      path.unshift(info.key);
      c = info.keyCol;
      for (let d = info.dashCols.length - 1; d >= 0; d--) {
        path.unshift('[]');
        c = info.dashCols[d] ?? 0;
      }
      continue;
    }
    // Inside a list item that starts on this line.
    const inner = [...info.dashCols].reverse().findIndex((d) => d < c);
    if (inner >= 0) {
      const dashes = info.dashCols.filter((d) => d < c);
      for (let d = dashes.length - 1; d >= 0; d--) {
        path.unshift('[]');
        c = dashes[d] ?? 0;
      }
      continue;
    }
    if (info.keyCol < c) break; // A scalar line less indented: no enclosing key.
  }
  return path;
}

const unionRoot: FieldType = { kind: 'object', fields: [...appFields, ...serviceFields] };

/** What the top of the file is: app-level, a list of services, or one service. */
function rootType(idx: LineIndex): FieldType {
  for (let i = 0; i < idx.lineCount; i++) {
    const info = analyze(idx.lineText(i));
    if (info.blank) continue;
    if (info.dashCols[0] === 0) return { kind: 'array', items: service };
    if (info.dashCols.length === 0 && info.keyCol === 0 && info.key !== undefined) {
      if (fieldOf(appRoot, info.key)) return appRoot;
      if (fieldOf(service, info.key)) return service;
    }
  }
  return unionRoot;
}

function resolve(root: FieldType, path: readonly string[]): FieldType | undefined {
  let t: FieldType | undefined = root;
  for (const seg of path) {
    if (!t) return undefined;
    if (seg === '[]') t = t.kind === 'array' ? t.items : undefined;
    else t = fieldOf(t, seg)?.type;
  }
  return t;
}

function siblings(idx: LineIndex, line: number, col: number): Set<string> {
  const keys = new Set<string>();
  for (let i = line - 1; i >= 0; i--) {
    const info = analyze(idx.lineText(i));
    if (info.blank) continue;
    if (info.keyCol === col && info.key !== undefined) keys.add(info.key);
    if (info.keyCol < col || info.dashCols.some((d) => d < col)) break;
  }
  for (let i = line + 1; i < idx.lineCount; i++) {
    const info = analyze(idx.lineText(i));
    if (info.blank) continue;
    if (info.keyCol < col || info.dashCols.some((d) => d < col)) break;
    if (info.keyCol === col && info.key !== undefined) keys.add(info.key);
  }
  return keys;
}

/** A field's documentation as markdown: its doc, the allowed values, the default and nhd's note. */
function markdownOf(field: Field): string {
  const parts = [field.doc];
  if (field.type.kind === 'string' && field.type.enum) parts.push(`Allowed: ${field.type.enum.map((e) => `\`${e}\``).join(', ')}.`);
  if (field.default !== undefined) parts.push(`Default: \`${JSON.stringify(field.default)}\`.`);
  if (field.status.kind === 'notApplied') parts.push(`nhd: ${statusText(field.status)}.`);
  if (field.note) parts.push(`nhd: ${field.note}`);
  return parts.join('\n\n');
}

/**
 * Markdown of the field table as plain text. The table's docs use only code spans and this file
 * adds only bold (test/unit/config/lsp.test.ts holds every field to that), so unwrapping those two
 * leaves text that reads the same in an editor that shows it as typed.
 */
function asPlainText(markdown: string): string {
  return markdown.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/`([^`]*)`/g, '$1');
}

function inFormat(markdown: string, format: DocFormat): ConfigDoc {
  return { format, text: format === 'markdown' ? markdown : asPlainText(markdown) };
}

function documentation(field: Field, format: DocFormat): ConfigDoc {
  return inFormat(markdownOf(field), format);
}

const isScalarType = (t: FieldType): boolean => t.kind === 'string' || t.kind === 'integer' || t.kind === 'boolean';

/** Keys valid at `pos` (respecting indentation and nesting), or enum values after `key: `, documented in `format`. */
export function completeDevConfig(text: string, pos: Position, format: DocFormat = 'markdown'): ConfigCompletion[] {
  const idx = new LineIndex(text);
  const lineText = idx.lineText(pos.line);
  const prefix = lineText.slice(0, pos.character);
  const root = rootType(idx);

  const valueMatch = /^(\s*)((?:-\s+)*)("[^"]*"|'[^']*'|[\w.-]+)\s*:\s+(\S*)$/.exec(prefix);
  if (valueMatch) {
    const col = (valueMatch[1] ?? '').length;
    const dashes = [...(valueMatch[2] ?? '').matchAll(/-\s+/g)].length;
    const key = (valueMatch[3] ?? '').replace(/^["']|["']$/g, '');
    const keyCol = col + (valueMatch[2] ?? '').length;
    const path = dashes > 0 ? [...ancestors(idx, pos.line, col), ...Array<string>(dashes).fill('[]')] : ancestors(idx, pos.line, keyCol);
    const field = fieldOf(resolve(root, path) ?? { kind: 'any' }, key);
    if (!field) return [];
    const t = field.type;
    const values = t.kind === 'boolean' ? ['true', 'false'] : t.kind === 'string' && t.enum ? [...t.enum] : [];
    return values.map((v) => ({ label: v, kind: 'value' as const, detail: field.key, documentation: documentation(field, format) }));
  }

  const keyMatch = /^(\s*)((?:-\s+)*)([\w.-]*)$/.exec(prefix);
  if (!keyMatch) return [];
  const col = (keyMatch[1] ?? '').length;
  const dashText = keyMatch[2] ?? '';
  const dashes = [...dashText.matchAll(/-\s+/g)].length;
  const keyCol = col + dashText.length;
  const path = dashes > 0 ? [...ancestors(idx, pos.line, col), ...Array<string>(dashes).fill('[]')] : ancestors(idx, pos.line, keyCol);
  const parent = resolve(root, path);
  if (!parent || parent.kind !== 'object') return [];
  const present = dashes > 0 ? new Set<string>() : siblings(idx, pos.line, keyCol);
  return parent.fields
    .filter((f) => !present.has(f.key))
    .map((f) => ({
      label: f.key,
      kind: 'key' as const,
      detail: typeName(f.type),
      documentation: documentation(f, format),
      insertText: isScalarType(f.type) ? `${f.key}: ` : `${f.key}:`,
    }));
}

/** Documentation of the key under `pos` (or of the key whose value is under `pos`), in `format`. */
export function hoverDevConfig(text: string, pos: Position, format: DocFormat = 'markdown'): ConfigHover | undefined {
  const idx = new LineIndex(text);
  const lineText = idx.lineText(pos.line);
  const info = analyze(lineText);
  if (info.blank || info.key === undefined) return undefined;
  const onKey = pos.character >= info.keyCol && pos.character <= info.keyEnd;
  const valueEnd = info.valueCol + info.value.length;
  const onValue = info.value !== '' && pos.character >= info.valueCol && pos.character <= valueEnd;
  if (!onKey && !onValue) return undefined;
  const first = info.dashCols[0];
  const path = first !== undefined ? [...ancestors(idx, pos.line, first), ...info.dashCols.map(() => '[]')] : ancestors(idx, pos.line, info.keyCol);
  const parent = resolve(rootType(idx), path);
  const field = parent ? fieldOf(parent, info.key) : undefined;
  if (!field) return undefined;
  const dotted = [...path, info.key].join('.').replace(/\.\[\]/g, '[]').replace(/^\[\]\.?/, '');
  const range = onKey
    ? { start: { line: pos.line, character: info.keyCol }, end: { line: pos.line, character: info.keyEnd } }
    : { start: { line: pos.line, character: info.valueCol }, end: { line: pos.line, character: valueEnd } };
  return { documentation: inFormat(`**${dotted}**: \`${typeName(field.type)}\`\n\n${markdownOf(field)}`, format), range };
}
