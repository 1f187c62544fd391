import { CompletionRequest, HoverRequest, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { completeConfig, hoverConfig, isDevConfigUri } from '../configService';
import { handle, type MethodTable } from './handler';
import { integer, nonEmptyString, object } from './params';
import { toLspCompletion, toLspHover } from './toWire';

const position = object({ line: integer(0, Number.MAX_SAFE_INTEGER), character: integer(0, Number.MAX_SAFE_INTEGER) });
const textDocumentPosition = object({ textDocument: object({ uri: nonEmptyString }), position });

/** Completion and hover in the dev config files the client has open (`documents`). */
export function languageMethods(documents: TextDocuments<TextDocument>): MethodTable {
  const devConfig = (uri: string) => {
    const document = documents.get(uri);
    return document && isDevConfigUri(document.uri) ? document : undefined;
  };
  return [
    handle(CompletionRequest, textDocumentPosition, (p) => {
      const document = devConfig(p.textDocument.uri);
      return document ? completeConfig(document.getText(), p.position).map(toLspCompletion) : [];
    }),
    handle(HoverRequest, textDocumentPosition, (p) => {
      const document = devConfig(p.textDocument.uri);
      const hover = document && hoverConfig(document.getText(), p.position);
      return hover ? toLspHover(hover) : null;
    }),
  ];
}
