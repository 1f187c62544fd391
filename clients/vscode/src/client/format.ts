import type { RunInfo, RunReload, SyncStatus } from '../../../../protocol';

/** "12 ms", "1.4 s", "3m12s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The workload part of a session id (`ctx/ns/deployment/authors` → `authors`). */
export function sessionName(id: string): string {
  return id.split('/').at(-1) ?? id;
}

/** A hot reload's timings, as `nhd run` prints them. */
export function formatReload(r: RunReload): string {
  const files = `${r.files} file${r.files === 1 ? '' : 's'} (${formatBytes(r.bytes)})`;
  return `${files} synced in ${formatMs(r.syncMs)}, stopped in ${formatMs(r.stopMs)}, started in ${formatMs(r.startMs)}`;
}

/** One line about a run's change, for its terminal; undefined when there is nothing to say. */
export function formatRunChange(run: RunInfo, reload?: RunReload): string | undefined {
  if (reload) return `reloaded: ${formatReload(reload)}`;
  switch (run.state) {
    case 'restarting':
      return 'change synced, restarting';
    case 'exited': {
      const how = run.exitCode === null || run.exitCode === undefined ? 'without a status' : `with code ${run.exitCode}`;
      const why = run.message ? ` (${run.message})` : '';
      return run.ended ? `the program exited ${how}${why}` : `the program exited ${how}${why}; the next change starts it again`;
    }
    default:
      return undefined;
  }
}

/** The details `nhd sync status` prints, for the status bar's click. */
export function formatSyncDetails(sessions: SyncStatus[]): string {
  if (sessions.length === 0) return 'No file sync runs. Dev Start on a workload with a local folder that has a .nocalhost/config.yaml starts one.\n';
  return sessions.map((s) => {
    const lines = [`${s.sessionId}: ${s.state}${s.pod ? ` (pod ${s.pod})` : ''}, ${s.type} ${s.localDir} -> ${s.remoteDir}`];
    lines.push(`  ${s.totals.batches} batches, ${s.totals.files} files, ${formatBytes(s.totals.bytes)} since start; ${s.reconnects} reconnects`);
    const b = s.lastBatch;
    if (b) {
      const what = b.paths.length === 1 ? b.paths[0] : `${b.files} changes`;
      lines.push(`  last: ${b.kind} ${b.direction} ${what}, ${formatBytes(b.bytes)}, live in ${formatMs(b.latencyMs)} at ${b.at}`);
      for (const e of b.errors) lines.push(`  failed: ${e.path}: ${e.message}`);
    }
    if (s.error) lines.push(`  error: ${s.error}`);
    if (s.held.length > 0) lines.push(`  held deletes (deleteProtection): ${s.held.join(', ')}; \`nhd sync resync KIND/NAME --allow-deletes\` applies them`);
    for (const c of s.conflicts) lines.push(`  conflict: ${c.path}${c.copy ? ` (remote version kept as ${c.copy})` : ' (unresolved)'}`);
    for (const w of s.warnings) lines.push(`  warning: ${w}`);
    return `${lines.join('\n')}\n`;
  }).join('');
}

/**
 * One notification for a dev start's warnings (a Nocalhost config may set several fields nhd does
 * not act on; a toast for each would bury the editor): the warning itself when there is one, else
 * how many there are and the first. Undefined when there are none.
 */
export function formatDevWarnings(workload: string, warnings: readonly string[]): string | undefined {
  if (warnings.length === 0) return undefined;
  if (warnings.length === 1) return `nhd: ${warnings[0]}`;
  return `nhd: dev start of ${workload} has ${warnings.length} warnings (all in the nhd output). The first: ${warnings[0]}`;
}
