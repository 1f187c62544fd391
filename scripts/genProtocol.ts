/**
 * Generates the client documentation (docs/protocol.md) and the machine-readable model
 * (protocol/metaModel.json) from the wire contract in protocol/*.ts, with the TypeScript compiler
 * API. It reads syntax only: protocol/ holds declarations and no logic, so every method, type,
 * command and error code can be read straight from the source, with its JSDoc.
 *
 * Nothing here runs on its own: test/unit/generated.test.ts regenerates both files and fails when
 * the committed ones differ; `npm run gen` runs that test with NHD_UPDATE_GENERATED=1 to rewrite
 * them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { LUA_PROTOCOL_PATH, renderLuaProtocol } from './genLuaProtocol';

/** The repository's root, where protocol/ and docs/ live. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** The files this script writes, relative to the repository root. */
export const GENERATED_PATHS = {
  markdown: 'docs/protocol.md',
  metaModel: 'protocol/metaModel.json',
} as const;

// ---------------------------------------------------------------------------------------------
// The model read from protocol/.

/** One property of an interface. */
export interface PropertyModel {
  name: string;
  /** The property's type as written in the TypeScript source. */
  type: string;
  optional: boolean;
  documentation: string;
}

/** An exported interface. */
export interface StructureModel {
  name: string;
  /** Interfaces it extends; their properties are not repeated in `properties`. */
  extends: string[];
  properties: PropertyModel[];
  documentation: string;
}

/** An exported type alias. */
export interface TypeAliasModel {
  name: string;
  /** The aliased type as written in the TypeScript source. */
  type: string;
  documentation: string;
}

/** A request or notification namespace. */
export interface MethodModel {
  /** The namespace's name, e.g. StatusRequest. */
  name: string;
  kind: 'request' | 'notification';
  method: string;
  direction: 'clientToServer' | 'serverToClient' | 'both';
  /** The params type as written (a type name, or `null` for none). */
  params: string;
  /** The result type as written; `null` for a notification's. */
  result: string | null;
  /** The command id that runs this method through workspace/executeCommand, if any. */
  command: string | null;
  documentation: string;
  file: string;
}

/** One member of an error code table. */
export interface ErrorCodeModel {
  name: string;
  code: number;
  documentation: string;
}

/** Everything read from protocol/. */
export interface ProtocolModel {
  /** Short sha256 of the concatenated protocol/*.ts sources, sorted by file name. */
  hash: string;
  version: string;
  /** protocol/*.ts in index.ts's export order (files index.ts does not name come last). */
  files: string[];
  methods: MethodModel[];
  structures: StructureModel[];
  typeAliases: TypeAliasModel[];
  commands: Record<string, string>;
  commandsDocumentation: string;
  errorCodes: { documentation: string; codes: ErrorCodeModel[] };
  rpcErrorCodes: { documentation: string; codes: ErrorCodeModel[] };
  /** Declarations, by type name, with the source file they come from. */
  declarations: Map<string, Declaration>;
  /** Interfaces, type aliases and properties that have no JSDoc (not an error; worth fixing). */
  undocumented: string[];
}

interface Declaration {
  name: string;
  node: ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
  sourceFile: ts.SourceFile;
  documentation: string;
  /** Names of protocol/ types this declaration's text refers to, in order of appearance. */
  references: string[];
}

/** Reads protocol/ under `root` into a model. Throws when the contract breaks its own rules. */
export function readProtocol(root: string = REPO_ROOT): ProtocolModel {
  const dir = path.join(root, 'protocol');
  const allFiles = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  const sources = new Map(allFiles.map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')] as const));
  const hash = crypto
    .createHash('sha256')
    .update(allFiles.map((f) => sources.get(f)!).join(''))
    .digest('hex')
    .slice(0, 12);

  const parse = (file: string) => ts.createSourceFile(file, sources.get(file)!, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const index = sources.has('index.ts') ? parse('index.ts') : undefined;
  const ordered: string[] = [];
  for (const statement of index?.statements ?? []) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const file = `${statement.moduleSpecifier.text.replace(/^\.\//, '')}.ts`;
      if (!sources.has(file)) throw new Error(`protocol/index.ts exports ${statement.moduleSpecifier.text}, which is not a file in protocol/`);
      if (!ordered.includes(file)) ordered.push(file);
    }
  }
  const files = [...ordered, ...allFiles.filter((f) => f !== 'index.ts' && !ordered.includes(f))];

  const declarations = new Map<string, Declaration>();
  const namespaces: { node: ts.ModuleDeclaration; file: string }[] = [];
  const consts = new Map<string, { node: ts.VariableDeclaration; statement: ts.VariableStatement }>();
  const undocumented: string[] = [];
  for (const file of files) {
    const sourceFile = parse(file);
    for (const statement of sourceFile.statements) {
      if (!isExported(statement)) continue;
      if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        // Aliases built with `typeof` (ErrorCode, CommandId) are TypeScript conveniences over the
        // consts, not wire types: the consts are documented instead.
        if (ts.isTypeAliasDeclaration(statement) && containsTypeQuery(statement.type)) continue;
        const name = statement.name.text;
        if (declarations.has(name)) throw new Error(`protocol/${file} declares ${name} a second time`);
        const documentation = docOf(statement);
        if (!documentation) undocumented.push(`${file}: ${name}`);
        declarations.set(name, { name, node: statement, sourceFile, documentation, references: [] });
      } else if (ts.isModuleDeclaration(statement)) {
        namespaces.push({ node: statement, file });
      } else if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) consts.set(d.name.text, { node: d, statement });
      }
    }
  }
  for (const d of declarations.values()) d.references = referencedNames(d.node, declarations);

  const structures: StructureModel[] = [];
  const typeAliases: TypeAliasModel[] = [];
  for (const d of declarations.values()) {
    if (ts.isInterfaceDeclaration(d.node)) {
      const properties: PropertyModel[] = [];
      for (const member of d.node.members) {
        if (!ts.isPropertySignature(member) || !member.type) throw new Error(`${d.name}: only properties with a type belong in a protocol interface`);
        const name = member.name.getText(d.sourceFile);
        const documentation = docOf(member);
        if (!documentation) undocumented.push(`${d.sourceFile.fileName}: ${d.name}.${name}`);
        properties.push({ name, type: member.type.getText(d.sourceFile), optional: member.questionToken !== undefined, documentation });
      }
      const bases = (d.node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(d.sourceFile)));
      structures.push({ name: d.name, extends: bases, properties, documentation: d.documentation });
    } else {
      typeAliases.push({ name: d.name, type: d.node.type.getText(d.sourceFile), documentation: d.documentation });
    }
  }

  const commands = Object.fromEntries(
    objectLiteralMembers(requireConst(consts, 'Commands')).map((m) => {
      if (typeof m.value !== 'string') throw new Error(`Commands.${m.name} must map to a method name`);
      return [m.name, m.value];
    }),
  );
  const commandByMethod = new Map(Object.entries(commands).map(([id, method]) => [method, id]));

  const methods: MethodModel[] = [];
  for (const { node, file } of namespaces) methods.push(readMethod(node, file, commandByMethod));
  for (const [id, method] of Object.entries(commands)) {
    if (!methods.some((m) => m.method === method && m.kind === 'request')) throw new Error(`Commands['${id}'] names ${method}, which is no request in protocol/`);
  }

  const version = requireConst(consts, 'PROTOCOL_VERSION').node.initializer;
  const versionText = version && literalValue(version);
  if (typeof versionText !== 'string') throw new Error('PROTOCOL_VERSION must be a string literal');

  const errorTable = (name: string) => {
    const entry = requireConst(consts, name);
    return {
      documentation: docOf(entry.statement),
      codes: objectLiteralMembers(entry).map((m) => {
        if (typeof m.value !== 'number') throw new Error(`${name}.${m.name} must be a number`);
        if (!m.documentation) undocumented.push(`errors.ts: ${name}.${m.name}`);
        return { name: m.name, code: m.value, documentation: m.documentation };
      }),
    };
  };

  return {
    hash,
    version: versionText,
    files,
    methods,
    structures,
    typeAliases,
    commands,
    commandsDocumentation: docOf(requireConst(consts, 'Commands').statement),
    errorCodes: errorTable('ErrorCode'),
    rpcErrorCodes: errorTable('RpcErrorCode'),
    declarations,
    undocumented,
  };
}

function readMethod(node: ts.ModuleDeclaration, file: string, commandByMethod: Map<string, string>): MethodModel {
  const name = node.name.getText();
  const fail = (what: string): never => {
    throw new Error(`protocol/${file}: namespace ${name} ${what}`);
  };
  const body = node.body && ts.isModuleBlock(node.body) ? node.body : fail('has no body');
  const members = new Map<string, ts.Expression>();
  for (const statement of body.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) members.set(d.name.text, d.initializer);
  }
  const method = literalValue(members.get('method') ?? fail('has no `method`'));
  if (typeof method !== 'string') return fail('needs `method` as a string literal');
  const direction = literalValue(members.get('direction') ?? fail('has no `direction`'));
  if (direction !== 'clientToServer' && direction !== 'serverToClient' && direction !== 'both') return fail('needs `direction` of clientToServer, serverToClient or both');
  const type = members.get('type');
  if (!type || !ts.isNewExpression(type) || !ts.isIdentifier(type.expression)) return fail('needs `type = new RequestType<…>(method)` or `new NotificationType<…>(method)`');
  const typeArgs = (type.typeArguments ?? []).map((t) => t.getText());
  const kind = type.expression.text.startsWith('Request') ? 'request' : type.expression.text.startsWith('Notification') ? 'notification' : fail(`has a type of unknown kind ${type.expression.text}`);
  const zeroParams = type.expression.text.endsWith('0');
  const params = zeroParams ? 'null' : (typeArgs[0] ?? fail('gives its type no params type argument'));
  const result = kind === 'notification' ? null : ((zeroParams ? typeArgs[0] : typeArgs[1]) ?? fail('gives its type no result type argument'));
  const documentation = docOf(node);
  if (!documentation) fail('has no JSDoc');
  return { name, kind, method, direction, params, result, command: commandByMethod.get(method) ?? null, documentation, file };
}

function isExported(node: ts.Statement): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/**
 * The JSDoc text of a node, with each paragraph's wrapped lines joined into one line (lines that
 * start a list item keep their break).
 */
function docOf(node: ts.Node): string {
  const texts = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '');
  const text = texts.join('\n\n').trim();
  return text
    .split(/\n\s*\n/)
    .map((para) =>
      para
        .split('\n')
        .map((l) => l.trim())
        .reduce((acc, line) => (acc === '' ? line : /^([-*]|\d+\.)\s/.test(line) ? `${acc}\n${line}` : `${acc} ${line}`), ''),
    )
    .join('\n\n');
}

function containsTypeQuery(node: ts.Node): boolean {
  return ts.isTypeQueryNode(node) || (ts.forEachChild(node, (c) => containsTypeQuery(c) || undefined) ?? false);
}

function literalValue(node: ts.Expression): string | number | undefined {
  let e = node;
  while (ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return -Number(e.operand.text);
  return undefined;
}

function requireConst<T>(consts: Map<string, T>, name: string): T {
  const c = consts.get(name);
  if (!c) throw new Error(`protocol/ exports no const ${name}`);
  return c;
}

function objectLiteralMembers(entry: { node: ts.VariableDeclaration }): { name: string; value: string | number | undefined; documentation: string }[] {
  let e = entry.node.initializer;
  while (e && (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e))) e = e.expression;
  if (!e || !ts.isObjectLiteralExpression(e)) throw new Error(`${entry.node.name.getText()} must be an object literal`);
  return e.properties.map((p) => {
    if (!ts.isPropertyAssignment(p)) throw new Error(`${entry.node.name.getText()}: only plain properties are allowed`);
    const name = ts.isStringLiteral(p.name) || ts.isIdentifier(p.name) ? p.name.text : p.name.getText();
    return { name, value: literalValue(p.initializer), documentation: docOf(p) };
  });
}

/** Names of protocol/ declarations referenced anywhere inside a node, in order, each once. */
function referencedNames(node: ts.Node, declarations: Map<string, Declaration>): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) && !ts.isPropertyAccessExpression(n)) {
      const name = ts.isTypeReferenceNode(n) ? n.typeName.getText() : n.expression.getText();
      if (declarations.has(name) && name !== (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ? node.name.text : '') && !found.includes(name)) found.push(name);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** Type names in a type text (as in a method's params or result), that protocol/ declares. */
function namesInTypeText(text: string, declarations: Map<string, Declaration>): string[] {
  return [...new Set(text.match(/[A-Za-z_$][\w$]*/g) ?? [])].filter((n) => declarations.has(n));
}

// ---------------------------------------------------------------------------------------------
// protocol/metaModel.json

/** The machine-readable model, for clients written in other languages. */
export function renderMetaModel(model: ProtocolModel): string {
  const method = (m: MethodModel) => ({
    method: m.method,
    direction: m.direction,
    params: m.params,
    ...(m.kind === 'request' ? { result: m.result } : {}),
    command: m.command,
    documentation: m.documentation,
  });
  const codes = (t: { codes: ErrorCodeModel[] }) => Object.fromEntries(t.codes.map((c) => [c.name, c.code]));
  const json = {
    $comment: `Generated by scripts/genProtocol.ts from protocol@${model.hash}. Do not edit; run \`npm run gen\`.`,
    version: model.version,
    requests: model.methods.filter((m) => m.kind === 'request').map(method),
    notifications: model.methods.filter((m) => m.kind === 'notification').map(method),
    commands: model.commands,
    errorCodes: { ...codes(model.errorCodes), ...codes(model.rpcErrorCodes) },
    structures: model.structures.map((s) => ({
      name: s.name,
      ...(s.extends.length > 0 ? { extends: s.extends } : {}),
      properties: s.properties,
      documentation: s.documentation,
    })),
    typeAliases: model.typeAliases,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// docs/protocol.md

/** The client documentation. */
export function renderMarkdown(model: ProtocolModel): string {
  const { declarations } = model;
  const out: string[] = [];
  const p = (...lines: string[]) => out.push(...lines, '');
  const slugs = new Map<string, number>();
  // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered.
  const anchor = (heading: string) => {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = slugs.get(base) ?? 0;
    slugs.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
  const methodAnchor = new Map<string, string>();
  const typeAnchor = new Map<string, string>();
  const typeLink = (name: string) => (typeAnchor.has(name) ? `[\`${name}\`](#${typeAnchor.get(name)})` : `\`${name}\``);
  // A params or result type text with the protocol types in it linked.
  const typeTextLink = (text: string) => {
    const names = namesInTypeText(text, declarations);
    return names.length === 1 && names[0] === text ? typeLink(text) : `\`${text}\``;
  };
  const requireType = (name: string) => {
    if (!declarations.has(name)) throw new Error(`docs/protocol.md's intro names ${name}, which protocol/ no longer declares`);
    return name;
  };

  // Anchors are assigned in the order headings are written, so the methods' first, then the types'.
  const headings = ['Transport', 'Lifecycle', 'Calling a method', 'Progress and cancellation', 'Methods'];
  for (const h of headings) anchor(h);
  for (const m of model.methods) methodAnchor.set(m.method, anchor(m.method));
  anchor('Types');
  const printedInMethods = new Set<string>();
  for (const m of model.methods) for (const t of [m.params, m.result ?? '']) if (declarations.has(t)) printedInMethods.add(t);
  const shared = [...declarations.keys()].filter((n) => !printedInMethods.has(n));
  for (const m of model.methods) for (const t of [m.params, m.result ?? '']) if (declarations.has(t) && !typeAnchor.has(t)) typeAnchor.set(t, methodAnchor.get(m.method)!);
  for (const n of shared) typeAnchor.set(n, anchor(n));
  anchor('Error codes');

  const usedBy = new Map<string, string[]>();
  for (const d of declarations.values()) for (const r of d.references) usedBy.set(r, [...(usedBy.get(r) ?? []), typeLink(d.name)]);
  for (const m of model.methods)
    for (const t of [m.params, m.result ?? ''])
      for (const r of namesInTypeText(t, declarations)) usedBy.set(r, [...(usedBy.get(r) ?? []), `[\`${m.method}\`](#${methodAnchor.get(m.method)})`]);

  const source = (name: string) => {
    const d = declarations.get(name)!;
    return ['```ts', d.node.getText(d.sourceFile), '```'];
  };
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
  const code = (s: string | null) => (s === null ? '—' : `\`${s}\``);

  p(`<!-- Generated by scripts/genProtocol.ts from protocol@${model.hash}. Do not edit. -->`);
  p('# The nhd protocol');
  p(
    `Protocol version **${model.version}**. This is the contract between the nhd daemon and its clients (editor extensions, the \`nhd\` CLI, plugins in other languages). It is generated from \`protocol/*.ts\`, which TypeScript clients import directly; [\`protocol/metaModel.json\`](../protocol/metaModel.json) holds the same contract in machine-readable form for clients in other languages (Lua, Java, ...).`,
  );
  p(
    '- [Transport](#transport), [Lifecycle](#lifecycle), [Calling a method](#calling-a-method), [Progress and cancellation](#progress-and-cancellation)',
    `- [Methods](#methods): ${model.methods.map((m) => `[\`${m.method}\`](#${methodAnchor.get(m.method)})`).join(', ')}`,
    '- [Types](#types)',
    '- [Error codes](#error-codes)',
  );

  p('## Transport');
  p(
    'nhd speaks the [LSP base protocol](https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#baseProtocol): JSON-RPC 2.0 messages, each preceded by a `Content-Length` header. It is carried on either of two transports:',
  );
  p(
    "- **stdio**: the client spawns `nhd serve` and talks to it on its stdin and stdout. The daemon serves that one client and exits with it.",
    "- **the shared daemon's unix socket**: `nhd serve --listen [PATH]` serves every client that connects to the socket, so editors and the CLI share one daemon and its dev sessions. `nhd serve --remote=auto` bridges stdio to that socket, starting the shared daemon when none runs, for clients that can only spawn a process.",
  );

  p('## Lifecycle');
  p(
    "The lifecycle is LSP's: the client sends `initialize`, then the `initialized` notification, then any other request; `shutdown` followed by `exit` closes the connection. A request sent before `initialize` fails with `ServerNotInitialized`. On a shared daemon `shutdown`/`exit` end only the sender's connection; [`nhd/daemon/stop`](#" +
      (methodAnchor.get('nhd/daemon/stop') ?? 'methods') +
      ') stops the daemon itself.',
  );
  p(
    `The client may pass ${typeLink(requireType('NhdInitializationOptions'))} as \`initializationOptions\`. The daemon answers with its nhd capabilities, ${typeLink(requireType('NhdServerCapabilities'))}, under \`capabilities.experimental.nhd\` in the initialize result; a client checks \`protocolVersion\` there (semver: same major version) before it uses any \`nhd/\` method. \`capabilities.executeCommandProvider.commands\` lists the commands the daemon serves.`,
  );

  p('## Calling a method');
  p(
    "A client with custom-request support sends each `nhd/` request under its method name, with its params object. Each request with a command id in the [table](#methods) can also be sent as a `workspace/executeCommand` command, so that a generic LSP client (Neovim, LSP4IJ, Emacs, Helix) can drive nhd: the command's single argument is the params object, and the command's result is the request's result. The initialize result's `capabilities.executeCommandProvider.commands` lists the commands the daemon serves.",
  );
  if (model.commandsDocumentation) p(`From \`protocol/commands.ts\`: ${model.commandsDocumentation}`);
  const firstCommand = Object.entries(model.commands)[0];
  if (firstCommand) {
    const [id, method] = firstCommand;
    p(
      'These two requests do the same thing:',
      '',
      '```json',
      `{ "jsonrpc": "2.0", "id": 1, "method": "${method}", "params": { } }`,
      `{ "jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand", "params": { "command": "${id}", "arguments": [{ }] } }`,
      '```',
    );
  }

  p('## Progress and cancellation');
  p(
    `A long request reports progress with LSP's \`$/progress\` work-done notifications when its params carry a \`workDoneToken\` (see ${typeLink(requireType('WorkDoneParams'))}); through \`workspace/executeCommand\`, the token of the ExecuteCommandParams is used when the params object has none. If the client announced \`window.workDoneProgress\` and gave no token, the daemon creates one with \`window/workDoneProgress/create\`. \`$/cancelRequest\` is honoured, and so is \`window/workDoneProgress/cancel\` for a request's token: a cancelled request fails with \`RequestCancelled\`.`,
  );

  p('## Methods');
  p('| Method | Kind | Direction | Params | Result | Command |', '|---|---|---|---|---|---|');
  out.pop();
  for (const m of model.methods) {
    out.push(
      `| [\`${m.method}\`](#${methodAnchor.get(m.method)}) | ${m.kind} | ${m.direction} | ${typeTextLink(m.params)} | ${m.result === null ? '—' : typeTextLink(m.result)} | ${code(m.command)} |`,
    );
  }
  out.push('');

  const printed = new Set<string>();
  for (const m of model.methods) {
    p(`### ${m.method}`);
    p(m.documentation);
    p(
      `- Kind: ${m.kind}, ${m.direction === 'clientToServer' ? 'client to server' : m.direction === 'serverToClient' ? 'server to client' : 'either way'}`,
      `- Params: ${typeTextLink(m.params)}`,
      ...(m.kind === 'request' ? [`- Result: ${typeTextLink(m.result!)}`] : []),
      `- Command: ${m.command === null ? 'none' : `\`${m.command}\``}`,
      `- TypeScript: \`${m.name}\` in \`protocol/${m.file}\``,
    );
    for (const t of [m.params, m.result ?? '']) {
      if (!declarations.has(t) || printed.has(t)) continue;
      printed.add(t);
      const d = declarations.get(t)!;
      if (d.documentation) p(`\`${t}\`: ${d.documentation}`);
      p(...source(t));
      if (d.references.length > 0) p(`Uses ${d.references.map(typeLink).join(', ')}.`);
    }
  }

  p('## Types');
  p('The types that the params and results above refer to, and those of the initialize exchange.');
  for (const name of shared) {
    const d = declarations.get(name)!;
    p(`### ${name}`);
    if (d.documentation) p(d.documentation);
    p(...source(name));
    const refs = d.references.map(typeLink);
    const users = [...new Set(usedBy.get(name) ?? [])];
    if (refs.length > 0 || users.length > 0) {
      p([refs.length > 0 ? `Uses ${refs.join(', ')}.` : '', users.length > 0 ? `Used by ${users.join(', ')}.` : ''].filter(Boolean).join(' '));
    }
  }

  p('## Error codes');
  p('### nhd codes');
  p(model.errorCodes.documentation);
  p('| Name | Code | Meaning |', '|---|---|---|');
  out.pop();
  for (const c of model.errorCodes.codes) out.push(`| \`${c.name}\` | ${c.code} | ${cell(c.documentation)} |`);
  out.push('');
  p('### JSON-RPC and LSP codes');
  if (model.rpcErrorCodes.documentation) p(model.rpcErrorCodes.documentation);
  p('| Name | Code | Meaning |', '|---|---|---|');
  out.pop();
  for (const c of model.rpcErrorCodes.codes) out.push(`| \`${c.name}\` | ${c.code} | ${cell(c.documentation)} |`);
  out.push('');

  return `${out.join('\n').trimEnd()}\n`;
}

/** Both generated files, by path relative to the repository root. */
export function generateProtocolFiles(root: string = REPO_ROOT): Record<string, string> {
  const model = readProtocol(root);
  return {
    [GENERATED_PATHS.markdown]: renderMarkdown(model),
    [GENERATED_PATHS.metaModel]: renderMetaModel(model),
    [LUA_PROTOCOL_PATH]: renderLuaProtocol(model),
  };
}
