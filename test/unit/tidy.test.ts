import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction of ARCHITECTURE.md, checked over every import: clients → protocol;
 * server → protocol; adapters → server's interfaces; one composition root (clients/cli/serve.ts)
 * wires adapters into the server.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts)$/.test(f) && !f.includes('node_modules') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

/** Where an import points: a repository top-level directory, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec.startsWith('node:') ? 'node:' : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
  return path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec));
}

function violations(dirs: string[], allowed: (file: string, to: string) => boolean): string[] {
  return dirs.flatMap(sources).flatMap((file) =>
    imports(file)
      .map((spec) => ({ spec, to: target(file, spec) }))
      .filter(({ to }) => !allowed(file, to))
      .map(({ spec }) => `${file} imports ${spec}`),
  );
}

const within = (to: string, ...dirs: string[]) => dirs.some((d) => to === d || to.startsWith(`${d}/`));
const inRepo = (to: string) => within(to, 'protocol', 'server', 'adapters', 'clients', 'test', 'bench', 'scripts');
const KUBE_WATCH_DAP = ['@kubernetes/client-node', 'chokidar', '@vscode/debugadapter', '@vscode/debugprotocol', '@vscode/debugadapter-testsupport'];

/** A source file's text without its comments (a comment may name a method, code may not). */
function code(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/**
 * Literals that spell a wire method (`'nhd/dev/start'`, `"nhd/..."`, a template starting with
 * `nhd/`); an escaped backtick inside a message (`` \`nhd/run/list\` ``) is text for a person.
 */
function wireMethodNames(text: string): string[] {
  return [...text.matchAll(/(?:['"]|(?<!\\)`)(nhd\/[A-Za-z]+\/[A-Za-z$]*)/g)].map((m) => m[1]!);
}

/** `new XService(` in a file's code. */
function serviceConstructions(text: string): string[] {
  return [...text.matchAll(/\bnew\s+([A-Z]\w*Service)\s*\(/g)].map((m) => m[1]!);
}

describe('layering', () => {
  it('protocol/ imports nothing from the repository and no library but vscode-jsonrpc', () => {
    expect(violations(['protocol'], (_, to) => within(to, 'protocol') || to === 'vscode-jsonrpc')).toEqual([]);
  });

  it('server/ imports protocol/ and itself, never adapters/, clients/ or a Kubernetes, watch or DAP library', () => {
    expect(violations(['server'], (_, to) => within(to, 'server', 'protocol') || (!inRepo(to) && !KUBE_WATCH_DAP.includes(to)))).toEqual([]);
  });

  it('only server/rpc/ speaks LSP or JSON-RPC', () => {
    expect(
      violations(['server'], (file, to) => file.startsWith('server/rpc/') || !/^vscode-(languageserver|jsonrpc)/.test(to)),
    ).toEqual([]);
  });

  it('server/config/ imports only yaml, node built-ins and itself', () => {
    expect(violations(['server/config'], (_, to) => within(to, 'server/config') || to === 'yaml' || to === 'node:')).toEqual([]);
  });

  it('adapters/ import server interfaces and protocol/, never clients/', () => {
    expect(violations(['adapters'], (_, to) => !within(to, 'clients') && (!within(to, 'server') || to === 'server/ports' || to === 'server/index'))).toEqual([]);
  });

  it('clients/ import only protocol/, except the composition root clients/cli/serve.ts', () => {
    expect(
      violations(['clients'], (file, to) => file === 'clients/cli/serve.ts' || !within(to, 'server', 'adapters')),
    ).toEqual([]);
  });

  it("the VS Code extension's client layer imports only protocol/, itself, vscode-jsonrpc and node built-ins, so it runs under node", () => {
    expect(violations(['clients/vscode/src/client'], (_, to) => within(to, 'protocol', 'clients/vscode/src/client') || to === 'vscode-jsonrpc' || to === 'node:')).toEqual([]);
  });

  it('only clients/vscode (and its tests) import vscode or vscode-languageclient', () => {
    expect(
      violations(['protocol', 'server', 'adapters', 'clients', 'bench', 'scripts'], (file, to) => file.startsWith('clients/vscode/') || !/^vscode(-languageclient)?$/.test(to)),
    ).toEqual([]);
  });

  it('nothing in server/ or adapters/ writes to stdout, which may be the protocol transport', () => {
    // The sync agent is the exception: stdout is its own framed channel to the daemon.
    const offenders = [...sources('server'), ...sources('adapters')]
      .filter((f) => f !== 'adapters/agent/agent.ts')
      .filter((f) => /console\.(log|info|debug)\(|process\.stdout/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the sync agent, which runs alone in the sidecar, imports only node built-ins and its codec', () => {
    expect(violations(['adapters/agent'], (file, to) => !['adapters/agent/agent.ts', 'adapters/agent/codec.ts'].includes(file) || to === 'node:' || to === 'adapters/agent/codec')).toEqual([]);
  });

  it('only adapters/dap (and tests) speak DAP through the @vscode libraries', () => {
    expect(violations(['adapters', 'clients', 'protocol'], (file, to) => file.startsWith('adapters/dap/') || !to.startsWith('@vscode/debug'))).toEqual([]);
  });

  it('server/ names wire methods only in server/rpc/ (protocol/ holds them; everything else emits domain events)', () => {
    const offenders = sources('server')
      .filter((f) => !f.startsWith('server/rpc/'))
      .flatMap((f) => wireMethodNames(code(f)).map((name) => `${f}: '${name}'`));
    expect(offenders).toEqual([]);
  });

  it('services are built in server/services.ts alone (createServices), never in the Daemon', () => {
    const offenders = [...sources('server'), ...sources('clients')]
      .filter((f) => f !== 'server/services.ts')
      .flatMap((f) => serviceConstructions(code(f)).map((name) => `${f}: new ${name}(`));
    expect(offenders).toEqual([]);
    // The Daemon holds the built services by type only.
    expect(imports('server/daemon.ts').filter((spec) => /Service$/.test(spec))).toEqual([]);
  });

  it('finds the method names and service constructions it checks', () => {
    expect(wireMethodNames(`broadcast('nhd/sync/didChange', status); send("nhd/dev/start"); \`nhd/run/list\`; \`(\\\`nhd/run/list\\\` lists)\``)).toEqual([
      'nhd/sync/didChange',
      'nhd/dev/start',
      'nhd/run/list',
    ]);
    expect(code('server/daemon.ts')).not.toMatch(/\/\*\*/);
    expect(serviceConstructions(code('server/services.ts'))).toContain('DevModeService');
  });

  it('finds the imports it checks', () => {
    expect(imports('server/rpc/clientConnection.ts')).toContain('vscode-languageserver/node');
    expect(target('server/rpc/clientConnection.ts', '../daemon')).toBe('server/daemon');
  });
});
