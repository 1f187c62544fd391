// Mangled configs (as while typing) must never throw, and every range must lie inside the text.

import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { completeDevConfig, hoverDevConfig, parseDevConfig, type Range } from '../../../server/config';

const dir = path.resolve(import.meta.dirname, '../../fixtures/nocalhost-configs');
const base = fs.readFileSync(path.join(dir, 'bookinfo/.nocalhost/base-services.yaml'), 'utf8');
const config = fs.readFileSync(path.join(dir, 'bookinfo/.nocalhost/config.yaml'), 'utf8');
const files: Record<string, string> = { '/b/.nocalhost/base-services.yaml': base, '/b/.nocalhost/env.dev': 'DEBUG=true\n' };

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mangle(text: string, rnd: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < edits; k++) {
    const i = Math.floor(rnd() * (t.length + 1));
    const op = rnd();
    if (op < 0.4) t = t.slice(0, i) + t.slice(i + 1 + Math.floor(rnd() * 10));
    else t = t.slice(0, i) + ':-{}[]$#"\' \n\t|&*!>'.charAt(Math.floor(rnd() * 19)) + t.slice(i);
  }
  return t;
}

function inside(text: string, r: Range): boolean {
  const lines = text.split('\n');
  const ok = (p: Range['start']): boolean => p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= (lines[p.line] ?? '').length;
  return ok(r.start) && ok(r.end) && (r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character));
}

describe('robustness', () => {
  it.each([
    ['base-services.yaml', base],
    ['config.yaml', config],
  ])('never throws on mangled %s and keeps ranges inside the text', (name, original) => {
    const rnd = random(name.length);
    for (let n = 0; n < 100; n++) {
      const text = mangle(original, rnd);
      const r = parseDevConfig({ text, fileName: `/b/.nocalhost/${name}`, readFile: (p) => files[p] });
      for (const d of r.diagnostics) {
        expect(d.code, JSON.stringify(d)).not.toBe('internal-error');
        expect(inside(text, d.range), `${JSON.stringify(d)} in\n${text}`).toBe(true);
      }
      JSON.stringify(r);
      const lines = text.split('\n');
      const line = Math.floor(rnd() * lines.length);
      const pos = { line, character: Math.floor(rnd() * ((lines[line] ?? '').length + 1)) };
      completeDevConfig(text, pos);
      const h = hoverDevConfig(text, pos);
      if (h) expect(inside(text, h.range)).toBe(true);
    }
  });
});
