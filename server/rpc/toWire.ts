import {
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  type CompletionItem,
  type Diagnostic,
  type Hover,
  type MarkupContent,
} from 'vscode-languageserver/node';
import type { ConfigDiagnostic } from '../../protocol';
import type { ConfigCompletion, ConfigDoc, ConfigHover } from '../config';

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
  if (c.documentation !== undefined) item.documentation = toLspMarkup(c.documentation);
  if (c.insertText !== undefined) item.insertText = c.insertText;
  return item;
}

export function toLspHover(h: ConfigHover): Hover {
  return { contents: toLspMarkup(h.documentation), range: h.range };
}

function toLspMarkup(doc: ConfigDoc): MarkupContent {
  return { kind: doc.format === 'markdown' ? MarkupKind.Markdown : MarkupKind.PlainText, value: doc.text };
}
