import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it, expect } from 'vitest';
import { findDevConfigFile, loadDevConfigFile } from '../../../server/config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

describe('fromDisk', () => {
  it('finds .nocalhost/config.yaml, then config.yml, else nothing', () => {
    expect(findDevConfigFile(path.join(tmp, 'none'))).toBeUndefined();
    const yml = write('b/.nocalhost/config.yml', 'name: a\n');
    expect(findDevConfigFile(path.join(tmp, 'b'))).toBe(yml);
    const yaml = write('b/.nocalhost/config.yaml', 'name: a\n');
    expect(findDevConfigFile(path.join(tmp, 'b'))).toBe(yaml);
  });

  it('looks upwards from a service directory to the app that holds the config', () => {
    const app = write('app/.nocalhost/config.yaml', 'name: a\n');
    fs.mkdirSync(path.join(tmp, 'app/authors/cmd'), { recursive: true });
    expect(findDevConfigFile(path.join(tmp, 'app/authors/cmd'))).toBe(app);
    const own = write('app/authors/.nocalhost/config.yaml', 'name: b\n');
    expect(findDevConfigFile(path.join(tmp, 'app/authors/cmd'))).toBe(own);
  });

  it('loads a config with includes and env from disk', () => {
    const file = write('c/.nocalhost/config.yaml', 'name: a\nserviceType: deployment\ncontainers:\n  ${_INCLUDE_:-./c.yaml | nindent 2}\n');
    write('c/.nocalhost/c.yaml', '- dev:\n    image: ${IMG}\n');
    const r = loadDevConfigFile(file, { IMG: 'node:20' });
    expect(r.diagnostics).toEqual([]);
    expect(r.services[0]?.containers[0]?.dev.image).toBe('node:20');
  });

  it('reports an unreadable file as a diagnostic', () => {
    const r = loadDevConfigFile(path.join(tmp, 'missing.yaml'));
    expect(r.services).toEqual([]);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['error', 'file-not-found']]);
  });
});

describe('module boundary', () => {
  it('server/config imports only yaml, node built-ins and itself', () => {
    const dir = path.resolve(import.meta.dirname, '../../../server/config');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        const spec = m[1] ?? '';
        expect(spec === 'yaml' || spec.startsWith('node:') || /^\.\/[\w]+$/.test(spec), `${f} imports ${spec}`).toBe(true);
      }
      if (f !== 'fromDisk.ts') expect(text, `${f} must not touch the file system`).not.toMatch(/from 'node:fs'/);
    }
  });
});
