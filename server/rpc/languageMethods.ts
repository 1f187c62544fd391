import { CompletionRequest, HoverRequest, type TextDocumentSaveReason, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocFormat } from '../config';
import { completeConfig, hoverConfig, isDevConfigUri } from '../configService';
import { handle, type MethodTable } from './handler';
import { arrayOf, integer, nonEmptyString, object, optional, string, type Reader } from './params';
import { toLspCompletion, toLspHover } from './toWire';

const position = object({ line: integer(0, Number.MAX_SAFE_INTEGER), character: integer(0, Number.MAX_SAFE_INTEGER) });
const range = object({ start: position, end: position });
const documentId = object({ uri: nonEmptyString });
const textDocumentPosition = object({ textDocument: documentId, position });
const version = integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
/** LSP's TextDocumentSaveReason: 1 manual, 2 after a delay, 3 on focus out. */
const saveReason: Reader<TextDocumentSaveReason> = (v, at) => integer(1, 3)(v, at) as TextDocumentSaveReason;

/**
 * The params of the text document notifications, read before TextDocuments sees them (it would
 * throw on a missing field). A notification has no answer: the connection logs what they refuse.
 */
export const documentNotificationParams = {
  didOpen: object({ textDocument: object({ uri: nonEmptyString, languageId: string, version, text: string }) }),
  didChange: object({ textDocument: object({ uri: nonEmptyString, version }), contentChanges: arrayOf(object({ range: optional(range), text: string })) }),
  willSave: object({ textDocument: documentId, reason: saveReason }),
  /** didClose and didSave: nhd reads only which document. */
  documentOnly: object({ textDocument: documentId }),
};

/** The documentation formats the client asked for in its capabilities. */
export interface DocumentationFormats {
  /** From textDocument.hover.contentFormat. */
  hover: DocFormat;
  /** From textDocument.completion.completionItem.documentationFormat. */
  completion: DocFormat;
}

/**
 * The first format of the client's list (its order of preference) that nhd writes. A client that
 * names none gets plain text: without the capability nothing says it renders markdown.
 */
export function preferredFormat(formats: readonly string[] | undefined): DocFormat {
  return (formats ?? []).find((f): f is DocFormat => f === 'markdown' || f === 'plaintext') ?? 'plaintext';
}

/** Completion and hover in the dev config files the client has open (`documents`), documented in the client's formats. */
export function languageMethods(documents: TextDocuments<TextDocument>, formats: () => DocumentationFormats): MethodTable {
  const devConfig = (uri: string) => {
    const document = documents.get(uri);
    return document && isDevConfigUri(document.uri) ? document : undefined;
  };
  return [
    handle(CompletionRequest, textDocumentPosition, (p) => {
      const document = devConfig(p.textDocument.uri);
      return document ? completeConfig(document.getText(), p.position, formats().completion).map(toLspCompletion) : [];
    }),
    handle(HoverRequest, textDocumentPosition, (p) => {
      const document = devConfig(p.textDocument.uri);
      const hover = document && hoverConfig(document.getText(), p.position, formats().hover);
      return hover ? toLspHover(hover) : null;
    }),
  ];
}
