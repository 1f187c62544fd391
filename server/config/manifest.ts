// The manifest form: Kubernetes manifests whose workloads carry a `dev.nocalhost` annotation.
// Each annotation is parsed in the annotation form, with name and serviceType taken from the workload,
// and its positions are moved back into the manifest.

import { isMap, isScalar, parseAllDocuments, Scalar, type Document } from 'yaml';
import { LineIndex } from './lineIndex';
import { sortDiagnostics } from './diagnostics';
import type { ConfigDiagnostic, DevConfigInput, DevConfigResult, Position, Range, ServiceConfig, SourceRef } from './types';

export const devAnnotation = 'dev.nocalhost';

type Parse = (input: DevConfigInput) => DevConfigResult;

export function parseManifest(input: DevConfigInput, parse: Parse): DevConfigResult {
  const idx = new LineIndex(input.text);
  const result: DevConfigResult = { services: [], diagnostics: [] };
  const docs = parseAllDocuments(input.text, { uniqueKeys: false, prettyErrors: false });
  const list: Document[] = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    for (const e of doc.errors)
      result.diagnostics.push({ severity: 'error', code: 'yaml-syntax', message: e.message.split('\n')[0] ?? e.message, range: idx.range(e.pos[0], e.pos[1]) });
  }
  let found = 0;
  for (const doc of list) {
    if (!isMap(doc.contents)) continue;
    const node = doc.getIn(['metadata', 'annotations', devAnnotation], true);
    if (!isScalar(node) || typeof node.value !== 'string') continue;
    found++;
    const kind = String(doc.get('kind') ?? '');
    const name = String(doc.getIn(['metadata', 'name']) ?? '');
    const move = mover(idx, node);
    const sub = parse({ ...input, text: node.value, form: 'annotation', workload: { name, kind } });
    for (const d of sub.diagnostics) result.diagnostics.push(moveDiagnostic(d, move));
    for (const s of sub.services) result.services.push(moveService(s, move));
  }
  sortDiagnostics(result.diagnostics);
  if (found === 0 && result.diagnostics.length === 0)
    result.diagnostics.push({ severity: 'warning', code: 'no-dev-config', message: `no workload in these manifests has a "${devAnnotation}" annotation`, range: idx.range(0, 0) });
  return result;
}

/** Maps a range of the annotation's value to a range of the manifest. */
type Move = (r: Range) => Range;

function mover(idx: LineIndex, node: Scalar): Move {
  const [start, end] = node.range ?? [0, 0];
  const whole = idx.range(start, end);
  const fallback: Move = () => whole;
  const value = node.value as string;
  if (node.type !== Scalar.BLOCK_LITERAL) return fallback;
  // The content starts on the line after the `|` header; find its indentation and check that every line matches.
  const header = idx.position(start).line;
  const lines = value.split('\n');
  let indent: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const src = idx.lineText(header + 1 + i);
    if ((lines[i] ?? '') === '' || src.trim() === '') continue;
    const n = src.length - src.trimStart().length;
    indent = indent === undefined ? n : Math.min(indent, n);
  }
  if (indent === undefined) return fallback;
  const ind = indent;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    if (idx.lineText(header + 1 + i).slice(ind) !== line) return fallback;
  }
  const pos = (p: Position): Position => ({ line: header + 1 + p.line, character: p.character + ind });
  return (r) => ({ start: pos(r.start), end: pos(r.end) });
}

function moveDiagnostic(d: ConfigDiagnostic, move: Move): ConfigDiagnostic {
  return { ...d, range: move(d.range) };
}

function moveSource(s: SourceRef, move: Move): SourceRef {
  return { fileName: s.fileName, range: move(s.range) };
}

function moveService(s: ServiceConfig, move: Move): ServiceConfig {
  return {
    ...s,
    containers: s.containers.map((c) => ({ ...c, source: moveSource(c.source, move) })),
    source: moveSource(s.source, move),
  };
}
