import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it, expect } from 'vitest';
import { appFields, completeDevConfig, hoverDevConfig, serviceFields, type Field, type FieldType, type Position } from '../../../server/config';

/** Splits a text at its `$0` marker into the text and the marker's position. */
function at(textWithCursor: string): { text: string; pos: Position } {
  const i = textWithCursor.indexOf('$0');
  const before = textWithCursor.slice(0, i);
  const lines = before.split('\n');
  return {
    text: before + textWithCursor.slice(i + 2),
    pos: { line: lines.length - 1, character: (lines[lines.length - 1] ?? '').length },
  };
}

/** The labels offered at `$0`. */
function labels(textWithCursor: string): string[] {
  const { text, pos } = at(textWithCursor);
  return completeDevConfig(text, pos).map((c) => c.label);
}

/** The hover at `$0`: its range as `line:start-end` (0-based) and its first line. */
function hover(textWithCursor: string): string | undefined {
  const { text, pos } = at(textWithCursor);
  const h = hoverDevConfig(text, pos);
  if (!h) return undefined;
  return `${h.range.start.line}:${h.range.start.character}-${h.range.end.character} ${h.documentation.text.split('\n')[0]}`;
}

const app = `configProperties:
  version: v2
application:
  name: app
  services:
    - name: web
      serviceType: deployment
      containers:
        - name: web
          dev:
            image: node:20
            sync:
              type: send
`;

describe('completion', () => {
  it('offers the top-level keys of an empty file', () => {
    expect(labels('$0')).toEqual(['configProperties', 'migrated', 'application', 'name', 'serviceType', 'priorityClass', 'dependLabelSelector', 'containers']);
  });

  it('offers the remaining app-level keys', () => {
    expect(labels('configProperties:\n  version: v2\n$0')).toEqual(['migrated', 'application']);
  });

  it('offers configProperties keys, without those already there', () => {
    expect(labels('configProperties:\n  version: v2\n  $0')).toEqual(['envFile']);
  });

  it('offers dev keys inside a container of an app-level config', () => {
    const { text } = at(app + '$0');
    const lines = text.split('\n');
    const pos = { line: lines.length - 1, character: 12 };
    const got = completeDevConfig(text.replace(/\n$/, '\n' + ' '.repeat(12)), pos).map((c) => c.label);
    expect(got).toContain('workDir');
    expect(got).toContain('portForward');
    expect(got).not.toContain('image');
    expect(got).not.toContain('sync');
  });

  it('offers sync keys while typing a partial key', () => {
    expect(labels(app + '              mo$0')).toEqual(['mode', 'deleteProtection', 'filePattern', 'ignoreFilePattern']);
  });

  it('offers container keys after a new list item dash', () => {
    expect(labels('- name: a\n  serviceType: deployment\n  containers:\n    - $0')).toEqual(['name', 'hub', 'install', 'dev']);
  });

  it('offers service keys in a list of services', () => {
    expect(labels('- name: a\n  $0')).toEqual(['serviceType', 'priorityClass', 'dependLabelSelector', 'containers']);
  });

  it('offers enum values after "key: "', () => {
    expect(labels(app + '              mode: $0')).toEqual(['pattern', 'gitIgnore']);
    expect(labels(app.replace('type: send', 'type: $0'))).toEqual(['send', 'sendReceive', 'sendonly']);
    expect(labels('name: a\nserviceType: $0')).toEqual(['deployment', 'statefulset', 'daemonset', 'job', 'cronjob', 'pod']);
    expect(labels('containers:\n  - dev:\n      debug:\n        language: $0')).toEqual(['node', 'java', 'go', 'python', 'php', 'ruby']);
    expect(labels('containers:\n  - dev:\n      hotReload: $0')).toEqual(['true', 'false']);
    expect(labels('containers:\n  - dev:\n      image: $0')).toEqual([]);
  });

  it('carries documentation and an insert text', () => {
    const { text, pos } = at('containers:\n  - dev:\n      sync:\n        $0');
    const type = completeDevConfig(text, pos).find((c) => c.label === 'type');
    expect(type).toEqual({
      label: 'type',
      kind: 'key',
      detail: '"send" | "sendReceive" | "sendonly"',
      documentation: {
        format: 'markdown',
        text: '`send`: one-way, local to container (`sendonly` is an alias). `sendReceive`: both ways.\n\nAllowed: `send`, `sendReceive`, `sendonly`.\n\nDefault: `"send"`.',
      },
      insertText: 'type: ',
    });
  });

  it('documents in plain text when the editor asks for it', () => {
    const { text, pos } = at('containers:\n  - dev:\n      sync:\n        $0');
    expect(completeDevConfig(text, pos, 'plaintext').find((c) => c.label === 'type')?.documentation).toEqual({
      format: 'plaintext',
      text: 'send: one-way, local to container (sendonly is an alias). sendReceive: both ways.\n\nAllowed: send, sendReceive, sendonly.\n\nDefault: "send".',
    });
  });

  it('offers nothing inside a value that is not an enum, or under an unknown key', () => {
    expect(labels('name: a$0')).toEqual([]);
    expect(labels('bogus:\n  $0')).toEqual([]);
  });
});

describe('hover', () => {
  it('documents a key under the cursor, with the key range', () => {
    expect(hover(app.replace('type: send', 'ty$0pe: send'))).toBe(
      '12:14-18 **application.services[].containers[].dev.sync.type**: `"send" | "sendReceive" | "sendonly"`',
    );
  });

  it('documents the key of a value under the cursor, with the value range', () => {
    expect(hover('- name: a\n  serviceType: deploy$0ment\n')).toBe('1:15-25 **serviceType**: `"deployment" | "statefulset" | "daemonset" | "job" | "cronjob" | "pod"`');
  });

  it('works on a key after a list dash', () => {
    expect(hover('- name: a\n  containers:\n    - na$0me: x\n')).toBe('2:6-10 **containers[].name**: `string`');
  });

  it('includes the documentation, default and nhd notes', () => {
    const { text, pos } = at('containers:\n  - dev:\n      work$0Dir: /src\n');
    expect(hoverDevConfig(text, pos)?.documentation.text).toBe(
      '**containers[].dev.workDir**: `string`\n\nDirectory in the dev container where the local source is synced and where commands run.\n\nDefault: `"/home/nocalhost-dev"`.',
    );
  });

  it('documents in plain text when the editor asks for it', () => {
    const { text, pos } = at('containers:\n  - dev:\n      work$0Dir: /src\n');
    expect(hoverDevConfig(text, pos, 'plaintext')?.documentation).toEqual({
      format: 'plaintext',
      text: 'containers[].dev.workDir: string\n\nDirectory in the dev container where the local source is synced and where commands run.\n\nDefault: "/home/nocalhost-dev".',
    });
  });

  it('uses no markdown in any field but code spans, which plain text unwraps', () => {
    const keysOf = (fields: readonly Field[]): Field[] => fields.flatMap((f) => [f, ...nested(f.type)]);
    const nested = (t: FieldType): Field[] => (t.kind === 'object' ? keysOf(t.fields) : t.kind === 'array' ? nested(t.items) : []);
    const all = [...keysOf(appFields), ...keysOf(serviceFields)];
    expect(all.length).toBeGreaterThan(50);
    for (const field of all) {
      for (const doc of [field.doc, field.note ?? '', field.status.kind === 'notApplied' ? field.status.why : '']) {
        expect(doc.split('`').length % 2, `unbalanced backticks in ${field.key}: ${doc}`).toBe(1);
        expect(doc.replace(/`[^`]*`/g, ''), `markdown outside a code span in ${field.key}`).not.toMatch(/[*_[\]<>#\\]/);
      }
    }
  });

  it('returns nothing on unknown keys, blank lines and comments', () => {
    expect(hover('bo$0gus: 1\n')).toBeUndefined();
    expect(hover('name: a\n$0\n')).toBeUndefined();
    expect(hover('# na$0me: a\n')).toBeUndefined();
  });
});

describe('on the real bookinfo files', () => {
  const base = readFileSync(resolve(import.meta.dirname, '../../fixtures/nocalhost-configs/bookinfo/.nocalhost/base-services.yaml'), 'utf8');
  const lines = base.split('\n');

  it('completes dev keys on a new line inside the details container, without those present', () => {
    const line = lines.findIndex((l) => l.includes('bookinfo-details.git'));
    const text = [...lines.slice(0, line + 1), '        ', ...lines.slice(line + 1)].join('\n');
    const got = completeDevConfig(text, { line: line + 1, character: 8 }).map((c) => c.label);
    expect(got).toContain('hotReload');
    expect(got).toContain('portForward');
    for (const present of ['gitUrl', 'image', 'shell', 'workDir', 'sync', 'env', 'resources', 'command', 'debug']) expect(got).not.toContain(present);
  });

  it('hovers over keys of a list of services', () => {
    const line = lines.findIndex((l) => l.includes('remoteDebugPort: 9009'));
    const h = hoverDevConfig(base, { line, character: 12 });
    expect(h?.range).toEqual({ start: { line, character: 10 }, end: { line, character: 25 } });
    expect(h?.documentation.text.split('\n')[0]).toBe('**containers[].dev.debug.remoteDebugPort**: `integer (port)`');
    expect(hoverDevConfig(base, { line: 0, character: 3 })?.documentation.text.split('\n')[0]).toBe('**name**: `string`');
  });
});
