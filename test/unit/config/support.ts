// Test support for server/config: txtar-style fixtures and compact renderings of results.

import { parseDevConfig, type ConfigDiagnostic, type DevConfigInput, type DevConfigResult } from '../../../server/config';

/** The directory in which fixture files live (nothing is read from disk). */
export const root = '/ws/svc';

/**
 * Splits a txtar-style fixture into files: `-- path --` lines start a file, paths relative to `root`.
 * The first file is the one parsed. Text before the first header is ignored.
 */
export function files(txtar: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (current !== undefined) out.set(`${root}/${current}`, lines.join('\n'));
  };
  for (const line of txtar.split('\n')) {
    const m = /^-- (.+) --$/.exec(line);
    if (m) {
      flush();
      current = m[1] ?? '';
      lines = [];
    } else lines.push(line);
  }
  flush();
  return out;
}

/** Parses the first file of a fixture, the others being readable through readFile. */
export function parseFixture(txtar: string, extra: Partial<DevConfigInput> = {}): DevConfigResult {
  const fs = files(txtar);
  const [fileName, text] = [...fs.entries()][0] ?? ['', ''];
  return parseDevConfig({ text, fileName, readFile: (p) => fs.get(p), ...extra });
}

/** One line per diagnostic: `LINE:COL-LINE:COL severity code: message` (1-based, like the CLI). */
export function renderDiagnostics(diags: readonly ConfigDiagnostic[]): string[] {
  return diags.map(
    (d) => `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${d.severity} ${d.code}: ${d.message}`,
  );
}
