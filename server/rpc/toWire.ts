import {
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  type CompletionItem,
  type Diagnostic,
  type Hover,
} from 'vscode-languageserver/node';
import type { ConfigDiagnostic, Range } from '../../protocol';
import type { ConfigCompletion } from '../config';

/** Conversions from domain types to LSP's, named after their source. */
export function toLspDiagnostic(d: ConfigDiagnostic): Diagnostic {
  return {
    range: d.range,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'nhd',
    message: d.message,
  };
}

export function toLspCompletion(c: ConfigCompletion): CompletionItem {
  const item: CompletionItem = { label: c.label, kind: c.kind === 'key' ? CompletionItemKind.Property : CompletionItemKind.EnumMember };
  if (c.detail !== undefined) item.detail = c.detail;
  if (c.documentation !== undefined) item.documentation = { kind: MarkupKind.Markdown, value: c.documentation };
  if (c.insertText !== undefined) item.insertText = c.insertText;
  return item;
}

export function toLspHover(h: { markdown: string; range: Range }): Hover {
  return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: h.range };
}
