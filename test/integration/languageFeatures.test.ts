import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusRequest } from '../../protocol';
import { tempHome, until, type TestClient } from '../harness/daemon';
import { MODES, type Env } from '../harness/modes';

/** Diagnostics, completion and hover for `.nocalhost/config.yaml`, over the daemon's connection, in every deployment mode. */
describe.each(Object.entries(MODES))('language features for the dev config %s', (_, startEnv) => {
  let env: Env;
  let client: TestClient;
  const dir = path.join(tempHome(), 'svc', '.nocalhost');
  const uri = pathToFileURL(path.join(dir, 'config.yaml')).href;
  const broken = ['name: authors', 'serviceType: deployment', 'containers:', '  - name: authors', '    dev:', '      image: golang', '      portForward:', '        - "80x80"', ''].join('\n');

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    env = await startEnv();
    client = await env.client();
  });
  afterAll(async () => {
    client.dispose();
    await env.dispose();
  });

  type Published = { uri: string; version?: number; diagnostics: { range: { start: { line: number; character: number } }; severity: number; code: string; message: string; source: string }[] };
  const published = () => client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').map((n) => n.params as Published);

  it('publishes diagnostics with exact ranges on didOpen, and updates them on didChange', async () => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: broken } });
    // A round trip after the didOpen: whatever the daemon published for it has arrived by its answer.
    await client.connection.sendRequest(StatusRequest.type, {});
    expect(published().filter((p) => p.uri === uri), 'one publish per open').toHaveLength(1);
    const first = published().find((p) => p.version === 1)!;
    expect(first.uri).toBe(uri);
    const portError = first.diagnostics.find((d) => d.severity === 1)!;
    expect(portError).toMatchObject({ source: 'nhd', range: { start: { line: 7, character: 10 } } });
    expect(portError.message).toMatch(/80x80/);

    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 7, character: 11 }, end: { line: 7, character: 16 } }, text: '8080:8080' }],
    });
    await until(() => published().some((p) => p.version === 2), 'diagnostics for version 2');
    expect(published().find((p) => p.version === 2)!.diagnostics.filter((d) => d.severity === 1)).toEqual([]);
  });

  it('ignores other files', async () => {
    const other = pathToFileURL(path.join(dir, '..', 'deploy.yaml')).href;
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: other, languageId: 'yaml', version: 1, text: 'foo: [' } });
    const completions = await client.connection.sendRequest('textDocument/completion', { textDocument: { uri: other }, position: { line: 0, character: 0 } });
    expect(completions).toEqual([]);
    expect(published().some((p) => p.uri === other)).toBe(false);
  });

  it('completes keys where they belong and enum values after a key', async () => {
    const text = ['name: authors', 'serviceType: ', 'containers:', '  - name: authors', '    dev:', '      sync:', '        type: ', '        '].join('\n');
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
    const labels = async (line: number, character: number) =>
      ((await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line, character } })) as { label: string }[]).map((c) => c.label);
    expect(await labels(1, 13)).toEqual(expect.arrayContaining(['deployment', 'statefulset', 'daemonset', 'job', 'cronjob', 'pod']));
    expect(await labels(6, 14)).toEqual(expect.arrayContaining(['send', 'sendReceive']));
    expect(await labels(7, 8)).toEqual(expect.arrayContaining(['mode', 'filePattern', 'ignoreFilePattern', 'deleteProtection']));
    expect(await labels(7, 8)).not.toContain('image');
  });

  it('shows each field’s documentation on hover', async () => {
    const hover = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 6, character: 9 } })) as {
      contents: { kind: string; value: string };
      range: { start: { line: number; character: number } };
    };
    expect(hover.contents.kind).toBe('markdown');
    expect(hover.contents.value).toMatch(/send/);
    expect(hover.range.start).toEqual({ line: 6, character: 8 });
  });

  it('documents hover and completion in plain text for a client that asks for it or names no format, per connection', async () => {
    const hoverOf = async (c: TestClient) =>
      ((await c.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 6, character: 9 } })) as { contents: { kind: string; value: string } }).contents;
    const completionDocsOf = async (c: TestClient) =>
      ((await c.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 7, character: 8 } })) as { label: string; documentation: { kind: string; value: string } }[]).find(
        (item) => item.label === 'mode',
      )!.documentation;
    const text = ['name: authors', 'serviceType: ', 'containers:', '  - name: authors', '    dev:', '      sync:', '        type: ', '        '].join('\n');
    const open = async (c: TestClient) => c.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });

    const plain = await env.client('plain', { textDocument: { hover: { contentFormat: ['plaintext'] }, completion: { completionItem: { documentationFormat: ['plaintext'] } } } });
    const silent = await env.client('names-no-format', {});
    const preferring = await env.client('prefers-plaintext', { textDocument: { hover: { contentFormat: ['plaintext', 'markdown'] } } });
    try {
      for (const c of [plain, silent, preferring]) await open(c);
      for (const c of [plain, silent, preferring]) {
        const hover = await hoverOf(c);
        expect(hover.kind).toBe('plaintext');
        expect(hover.value).toMatch(/^containers\[\]\.dev\.sync\.type: "send" \| "sendReceive" \| "sendonly"\n\n/);
        expect(hover.value).not.toMatch(/[`*]/);
      }
      expect(await completionDocsOf(plain)).toMatchObject({ kind: 'plaintext', value: expect.stringMatching(/^pattern: sync what filePattern/) });
      expect(await completionDocsOf(silent)).toMatchObject({ kind: 'plaintext' });
      // The first client (markdown, as VS Code asks) still gets markdown from the same daemon.
      expect(await hoverOf(client)).toMatchObject({ kind: 'markdown', value: expect.stringMatching(/^\*\*containers\[\]\.dev\.sync\.type\*\*/) });
      expect(await completionDocsOf(client)).toMatchObject({ kind: 'markdown', value: expect.stringMatching(/^`pattern`: sync/) });
    } finally {
      for (const c of [plain, silent, preferring]) c.dispose();
    }
  });

  it('clears diagnostics when the file is closed', async () => {
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await until(() => published().at(-1)?.diagnostics.length === 0 && published().at(-1)?.uri === uri, 'empty diagnostics after close');
  });
});
