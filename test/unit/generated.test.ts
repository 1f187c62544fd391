// docs/protocol.md and protocol/metaModel.json are generated from protocol/*.ts by
// scripts/genProtocol.ts; this test keeps the committed files in step with the contract.
// Run `npm run gen` (NHD_UPDATE_GENERATED=1) to rewrite them instead of failing.

import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import * as protocol from '../../protocol';
import { REPO_ROOT, generateProtocolFiles, readProtocol } from '../../scripts/genProtocol';

describe('generated protocol files', () => {
  const files = generateProtocolFiles();
  for (const [relative, generated] of Object.entries(files)) {
    it(`${relative} matches protocol/`, () => {
      const file = path.join(REPO_ROOT, relative);
      if (process.env['NHD_UPDATE_GENERATED'] === '1') {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, generated);
        return;
      }
      const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      expect(committed, `${relative} is stale or missing: run \`npm run gen\``).toBe(generated);
    });
  }
});

// The generator reads syntax only; check what it read against the protocol module as it runs.
describe('what the generator reads from protocol/', () => {
  const model = readProtocol();

  it('has every request and notification namespace index.ts exports, with the same method and direction', () => {
    const namespaces = (Object.entries(protocol) as [string, unknown][])
      .filter((e): e is [string, { method: string; direction: string }] => typeof e[1] === 'object' && e[1] !== null && 'method' in e[1] && 'type' in e[1])
      .map(([name, ns]) => ({ name, method: ns.method, direction: ns.direction }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const read = model.methods.map((m) => ({ name: m.name, method: m.method, direction: m.direction })).sort((a, b) => a.name.localeCompare(b.name));
    expect(read).toEqual(namespaces);
  });

  it('has the same version, commands and error codes', () => {
    expect(model.version).toBe(protocol.PROTOCOL_VERSION);
    expect(model.commands).toEqual(protocol.Commands);
    expect(Object.fromEntries(model.errorCodes.codes.map((c) => [c.name, c.code]))).toEqual(protocol.ErrorCode);
    expect(Object.fromEntries(model.rpcErrorCodes.codes.map((c) => [c.name, c.code]))).toEqual(protocol.RpcErrorCode);
  });

  it('names in params and results only types that protocol/ declares or that JSON has', () => {
    for (const m of model.methods) {
      for (const t of [m.params, m.result ?? 'null']) {
        expect(model.declarations.has(t) || ['null', 'number', 'string', 'boolean'].includes(t), `${m.method}: ${t}`).toBe(true);
      }
    }
  });
});
