import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Commands } from '../../protocol';
import { readProtocol } from '../../scripts/genProtocol';

/**
 * The editor clients that are files rather than TypeScript: the LSP4IJ templates for JetBrains
 * (clients/jetbrains/lsp4ij, in LSP4IJ's user-defined template format) and the Neovim plugin's
 * use of the generated lua/nhd/protocol.lua. Both name protocol things as strings, so this checks
 * the strings against protocol/.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const LSP4IJ = path.join(ROOT, 'clients/jetbrains/lsp4ij');
const model = readProtocol();

function readJson(file: string): Record<string, any> {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path.relative(ROOT, file)} is not JSON: ${(error as Error).message}`);
  }
}

/** Every `nhd.<area>.<verb>` a file names (commands), outside URLs and file names. */
function commandIds(text: string): string[] {
  return [...text.matchAll(/(?<![\w/.-])nhd(?:\.[a-z][A-Za-z]*)+(?![\w/-])/g)].map((m) => m[0]).filter((id) => !/\.(md|json|lua|ts|js|yaml|yml|sock|log|cmd|exe)$/.test(id));
}

/** A template's fileTypeMappings as LSP4IJ reads them: each has a fileType with patterns or a name. */
function checkMappings(file: string, mappings: unknown): void {
  expect(Array.isArray(mappings) && mappings.length > 0, `${file}: fileTypeMappings`).toBe(true);
  for (const m of mappings as any[]) {
    expect(typeof m.fileType, `${file}: fileTypeMappings[].fileType`).toBe('object');
    const patterns = m.fileType.patterns;
    expect(patterns !== undefined || typeof m.fileType.name === 'string', `${file}: a mapping needs patterns or a file type name`).toBe(true);
    if (patterns !== undefined) expect(Array.isArray(patterns) && patterns.every((p: unknown) => typeof p === 'string' && p.length > 0), `${file}: patterns`).toBe(true);
    expect(typeof m.languageId, `${file}: languageId`).toBe('string');
  }
}

describe('LSP4IJ language server template (clients/jetbrains/lsp4ij/nhd-language-server)', () => {
  const dir = path.join(LSP4IJ, 'nhd-language-server');
  const files = fs.readdirSync(dir);

  it('has only files LSP4IJ imports, every JSON one parses', () => {
    const known = ['template.json', 'initializationOptions.json', 'settings.json', 'settings.schema.json', 'clientSettings.json', 'experimental.json', 'workspaceFolderSettings.json', 'installer.json', 'README.md'];
    expect(files.filter((f) => !known.includes(f))).toEqual([]);
    expect(files).toContain('template.json');
    expect(files).toContain('README.md');
    for (const f of files.filter((f) => f.endsWith('.json'))) readJson(path.join(dir, f));
  });

  it('template.json: id, name, programArgs running `nhd serve --remote=auto`, a mapping for .nocalhost/config.yaml', () => {
    const t = readJson(path.join(dir, 'template.json'));
    expect(typeof t['id']).toBe('string');
    expect(typeof t['name']).toBe('string');
    expect(t['programArgs']['default']).toBe('nhd serve --remote=auto');
    for (const args of Object.values(t['programArgs'] as Record<string, string>)) expect(args).toMatch(/serve --remote=auto$/);
    checkMappings('template.json', t['fileTypeMappings']);
    const patterns = (t['fileTypeMappings'] as any[]).flatMap((m) => m.fileType.patterns ?? []);
    expect(patterns).toContain('config.yaml');
  });

  it('initializationOptions.json names only NhdInitializationOptions fields', () => {
    const options = readJson(path.join(dir, 'initializationOptions.json'));
    const fields = model.structures.find((s) => s.name === 'NhdInitializationOptions')!.properties.map((p) => p.name);
    expect(Object.keys(options).filter((k) => !fields.includes(k))).toEqual([]);
    for (const value of Object.values(options)) expect(typeof value).toBe('string');
  });
});

describe('LSP4IJ DAP template (clients/jetbrains/lsp4ij/nhd-dap)', () => {
  const dir = path.join(LSP4IJ, 'nhd-dap');
  const files = fs.readdirSync(dir);

  it('template.json: id, name, launch running `nhd dap` on stdio (no attach port), mappings', () => {
    const t = readJson(path.join(dir, 'template.json'));
    expect(typeof t['id']).toBe('string');
    expect(typeof t['name']).toBe('string');
    expect(t['launch']['default']).toBe('nhd dap');
    // An `attach` block would make LSP4IJ connect to a TCP port instead of talking to `nhd dap`'s stdio.
    expect(t['attach']).toBeUndefined();
    checkMappings('template.json', t['fileTypeMappings']);
  });

  it('its debug configurations (launch.*.json / attach.*.json) parse and carry what the proxy reads', () => {
    const configurations = files.filter((f) => /^(launch|attach)\..*json$/.test(f));
    expect(configurations.length).toBeGreaterThan(0);
    for (const f of configurations) {
      const c = readJson(path.join(dir, f));
      expect(typeof c['name'], `${f}: name`).toBe('string');
      expect(c['type'], `${f}: type`).toBe('nhd');
      expect(c['request'], `${f}: request`).toBe('attach');
      expect(c['workload'], `${f}: workload`).toMatch(/^[a-z]+\/[\w.-]+$/);
      expect(['go', 'python', undefined]).toContain(c['language']);
    }
  });

  it('has only files LSP4IJ imports', () => {
    expect(files.filter((f) => !/^(template\.json|installer\.json|README\.md|(launch|attach)\..*json)$/.test(f))).toEqual([]);
  });
});

describe('what the JetBrains and Neovim clients name', () => {
  it('command ids in the LSP4IJ templates and docs/clients exist in protocol/commands.ts', () => {
    const dirs = [LSP4IJ, path.join(ROOT, 'docs/clients')].filter((d) => fs.existsSync(d));
    const named: string[] = [];
    for (const dir of dirs) {
      for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
        const file = path.join(dir, f);
        if (!fs.statSync(file).isFile()) continue;
        // VS Code's page names the extension's own settings and commands (nhd.path, nhd.devStart); its
        // manifest test (test/unit/vscode/manifest.test.ts) checks those.
        if (path.basename(file) === 'vscode.md') continue;
        for (const id of commandIds(fs.readFileSync(file, 'utf8'))) named.push(`${path.relative(ROOT, file)}: ${id}`);
      }
    }
    const unknown = named.filter((n) => !(n.split(': ')[1]! in Commands));
    expect(unknown).toEqual([]);
  });

  it('the Neovim plugin names only requests and notifications protocol.lua has', () => {
    const lua = fs.readFileSync(path.join(ROOT, 'clients/neovim/lua/nhd/protocol.lua'), 'utf8');
    const requests = new Set([...lua.slice(lua.indexOf('M.requests'), lua.indexOf('M.notifications')).matchAll(/^\s+(\w+) = /gm)].map((m) => m[1]));
    const notifications = new Set([...lua.slice(lua.indexOf('M.notifications'), lua.indexOf('M.command_of')).matchAll(/^\s+(\w+) = /gm)].map((m) => m[1]));
    const missing: string[] = [];
    const dir = path.join(ROOT, 'clients/neovim/lua/nhd');
    for (const f of fs.readdirSync(dir).filter((f) => f !== 'protocol.lua')) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/\b(?:R|protocol\.requests)\.(\w+)/g)) if (!requests.has(m[1]!)) missing.push(`${f}: request ${m[1]}`);
      for (const m of text.matchAll(/\bprotocol\.notifications\.(\w+)/g)) if (!notifications.has(m[1]!)) missing.push(`${f}: notification ${m[1]}`);
      for (const m of text.matchAll(/request(?:_sync)?\('(nhd\/[\w/]+)'/g)) if (!model.methods.some((x) => x.method === m[1])) missing.push(`${f}: method ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });
});
