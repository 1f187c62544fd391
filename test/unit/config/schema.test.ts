// docs/nocalhost-config.schema.json is generated from the field table; this test keeps it in step.
// Run with NHD_UPDATE_GENERATED=1 to rewrite the file instead of failing.

import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { generateJsonSchema, parseDevConfig, renderFieldReference, renderJsonSchema, renderV1Reference } from '../../../server/config';

const schemaPath = path.resolve(import.meta.dirname, '../../../docs/nocalhost-config.schema.json');
const guidePath = path.resolve(import.meta.dirname, '../../../docs/config.md');
const update = process.env['NHD_UPDATE_GENERATED'] === '1';

describe('published JSON Schema', () => {
  it('matches the committed docs/nocalhost-config.schema.json', () => {
    const generated = renderJsonSchema();
    if (update) {
      fs.writeFileSync(schemaPath, generated);
      return;
    }
    const committed = fs.existsSync(schemaPath) ? fs.readFileSync(schemaPath, 'utf8') : '';
    expect(committed, 'docs/nocalhost-config.schema.json is stale: run NHD_UPDATE_GENERATED=1 npx vitest run --project unit test/unit/config/schema.test.ts').toBe(generated);
  });

  for (const [name, render] of [['fields', renderFieldReference], ['v1', renderV1Reference]] as const) {
    it(`is the ${name} reference of docs/config.md`, () => {
      const guide = fs.readFileSync(guidePath, 'utf8');
      const begin = `<!-- ${name}:begin -->\n`;
      const end = `<!-- ${name}:end -->`;
      const from = guide.indexOf(begin) + begin.length;
      const to = guide.indexOf(end);
      expect(from >= begin.length && to >= from, `docs/config.md lacks the ${name}:begin/end markers`).toBe(true);
      const generated = `${render()}\n`;
      if (update) {
        fs.writeFileSync(guidePath, guide.slice(0, from) + generated + guide.slice(to));
        return;
      }
      expect(guide.slice(from, to), `the ${name} reference in docs/config.md is stale: run npm run gen`).toBe(generated);
    });
  }

  it('describes every field that validation knows, with the same enums and defaults', () => {
    const schema = generateJsonSchema() as { $defs: Record<string, { properties?: Record<string, { enum?: string[]; default?: unknown; description?: string }> }> };
    const sync = schema.$defs['sync']?.properties;
    expect(sync?.['type']?.enum).toEqual(['send', 'sendReceive', 'sendonly']);
    expect(sync?.['deleteProtection']?.default).toBe(true);
    expect(schema.$defs['debug']?.properties?.['language']?.enum).toEqual(['node', 'java', 'go', 'python', 'php', 'ruby']);
    expect(Object.keys(schema.$defs['devConfig']?.properties ?? {})).toContain('persistentVolumeDirs');
    for (const def of Object.values(schema.$defs))
      for (const [key, prop] of Object.entries(def.properties ?? {})) expect(prop.description, key).toBeTruthy();
  });

  it('is itself free of unknown-key warnings when its enums are used in a config', () => {
    const r = parseDevConfig({ text: 'name: a\nserviceType: pod\ncontainers:\n  - dev: { sync: { type: sendReceive, mode: gitIgnore } }\n', fileName: '/x/c.yaml' });
    expect(r.diagnostics).toEqual([]);
  });
});
