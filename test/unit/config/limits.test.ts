import { describe, expect, it } from 'vitest';
import { CONFIG_LIMITS, parseDevConfig } from '../../../server/config/parse';
import { MAX_TEMPLATE_DEPTH, renderTemplate } from '../../../server/config/template';

const fileName = '/work/svc/.nocalhost/config.yaml';
const parse = (text: string, env: Record<string, string> = {}) => parseDevConfig({ text, fileName, env });
const codes = (text: string) => parse(text).diagnostics.map((d) => d.code);
const service = (containers: number) =>
  'name: big\nserviceType: deployment\ncontainers:\n' + Array.from({ length: containers }, (_, i) => `  - name: c${i}\n    dev:\n      image: x\n`).join('');

/** Bounded work for any input (issue 14): each limit is an error that says what to do, never a stall. */
describe('config limits', () => {
  it('refuses a text over the size limit without parsing it', () => {
    const result = parse(`# ${'x'.repeat(CONFIG_LIMITS.textBytes)}\nname: big\nserviceType: deployment\ncontainers: []\n`);
    expect(result.services).toEqual([]);
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code: 'config-too-large', message: expect.stringMatching(/up to 262144 \(256 KiB\)/) })]);
  });

  it('reads a text just under the size limit', () => {
    const result = parse(`# ${'x'.repeat(CONFIG_LIMITS.textBytes - 100)}\nname: big\nserviceType: deployment\ncontainers: []\n`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.services.map((s) => s.name)).toEqual(['big']);
  });

  it('refuses what templating blows up past the rendered limit', () => {
    const value = 'y'.repeat(CONFIG_LIMITS.renderedChars);
    const result = parseDevConfig({ text: 'name: ${BIG}\nserviceType: deployment\ncontainers: []\n', fileName, env: { BIG: value } });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['config-too-large']);
  });

  it('refuses flow collections nested past the limit before the YAML parser recurses into them', () => {
    const depth = CONFIG_LIMITS.flowNesting + 1;
    expect(codes(`name: x\nserviceType: deployment\ncontainers: ${'['.repeat(depth)}${']'.repeat(depth)}\n`)).toEqual(['config-too-large']);
    // Brackets in quotes and comments do not count.
    const quoted = `name: x\nserviceType: deployment\n# ${'['.repeat(depth)}\ncontainers: []\nx: "${'{'.repeat(depth)}"\n`;
    expect(codes(quoted)).not.toContain('config-too-large');
  });

  it('reads the first containers of a service and reports the rest', () => {
    const result = parse(service(CONFIG_LIMITS.containersPerService + 5));
    expect(result.services[0]!.containers).toHaveLength(CONFIG_LIMITS.containersPerService);
    const error = result.diagnostics.find((d) => d.code === 'too-many-entries')!;
    expect(error.message).toBe(`service "big" has ${CONFIG_LIMITS.containersPerService + 5} containers; nhd reads the first ${CONFIG_LIMITS.containersPerService}`);
    // The first entry over the limit: line 3 + 3 lines per container, zero-based.
    expect(error.range.start.line).toBe(3 + 3 * CONFIG_LIMITS.containersPerService);
    expect(parse(service(CONFIG_LIMITS.containersPerService)).diagnostics.map((d) => d.code)).not.toContain('too-many-entries');
  });

  it('reads the first services of a list and reports the rest', () => {
    const n = CONFIG_LIMITS.services + 1;
    const text = Array.from({ length: n }, (_, i) => `- name: s${i}\n  serviceType: deployment\n  containers: []\n`).join('');
    const result = parse(text);
    expect(result.services).toHaveLength(CONFIG_LIMITS.services);
    expect(result.diagnostics.map((d) => d.code)).toContain('too-many-entries');
  });

  it('stops expanding templates nested past the depth limit', () => {
    const depth = MAX_TEMPLATE_DEPTH + 3;
    const text = `name: ${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}\n`;
    const result = renderTemplate(text, { fileName, env: {} });
    expect(result.diagnostics.map((d) => d.code)).toContain('template-too-deep');
    const shallow = `name: ${'${A:-'.repeat(3)}x${'}'.repeat(3)}\n`;
    expect(renderTemplate(shallow, { fileName, env: {} }).text).toBe('name: x\n');
  });

  it('maps copied and generated characters through the run-length source map', () => {
    const text = `a: \${A}\n# ${'z'.repeat(100_000)}\nb: $B\n`;
    const result = renderTemplate(text, { fileName, env: { A: 'alpha', B: 'beta' } });
    expect(result.text).toBe(`a: alpha\n# ${'z'.repeat(100_000)}\nb: beta\n`);
    // A copied character maps to itself (shifted by "alpha" being one longer than ${A}), a generated one to its whole expression.
    const copied = result.text.indexOf('# ') + 50;
    expect(result.sourceOf(copied)).toEqual({ file: 0, off: copied - 1, anchorStart: copied - 1, anchorEnd: copied - 1 });
    const generated = result.text.indexOf('beta') + 2;
    const expression = text.indexOf('$B');
    expect(result.sourceOf(generated)).toEqual({ file: 0, off: expression, anchorStart: expression, anchorEnd: expression + 2 });
  });
});
