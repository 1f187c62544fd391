import type { WorkDoneProgressValue } from './daemonClient';

/** Prints a value as the `--json` output of a command. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** "3m12s", "1h04m", "850ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Renders $/progress on stderr: a bar redrawn in place on a terminal, one line per report
 * otherwise (CI logs, pipes), so stdout stays clean for --json.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (value: WorkDoneProgressValue) => void {
  let title = '';
  return (value) => {
    if (value.kind === 'begin') title = value.title ?? '';
    const text = [title, value.message].filter(Boolean).join(': ');
    if (!stream.isTTY) {
      if (value.kind !== 'end' || value.message) stream.write(`${text}\n`);
      return;
    }
    const width = 24;
    const pct = value.percentage;
    const bar = pct === undefined ? '' : `[${'#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '.')}] ${String(pct).padStart(3)}% `;
    stream.write(`\r\x1b[2K${bar}${text}`);
    if (value.kind === 'end') stream.write('\n');
  };
}
