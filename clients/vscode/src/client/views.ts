import type { SyncStatus } from '../../../../protocol';
import { formatMs, sessionName } from './format';
import type { TreeNode, WorkloadState } from './workloadModel';
import { KIND_ORDER } from './workloadRef';

/**
 * What the editor shows, as data: the tree's items and the status bar's text. Pure, so that the
 * look is unit-tested without an editor; src/ui/ maps these to vscode's TreeItem and StatusBarItem.
 */
export interface NodeView {
  label: string;
  description?: string;
  tooltip?: string;
  /** For menus: `nhd.workload.none|mine|other[.running]`, `nhd.context`, ... */
  contextValue: string;
  /** A codicon id (`$(id)` without the wrapper). */
  icon?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

export function nodeView(node: TreeNode, state: WorkloadState = {}): NodeView {
  switch (node.type) {
    case 'context':
      return { label: node.context, ...(node.current ? { description: 'current' } : {}), tooltip: `context ${node.context} (cluster ${node.cluster})`, contextValue: 'nhd.context', icon: 'server-environment', collapsible: node.current ? 'expanded' : 'collapsed' };
    case 'namespace':
      return { label: node.namespace, contextValue: 'nhd.namespace', icon: 'symbol-namespace', collapsible: 'collapsed' };
    case 'kind':
      return { label: KIND_ORDER.find((k) => k.kind === node.kind)?.label ?? node.kind, contextValue: 'nhd.kind', icon: 'folder', collapsible: 'expanded' };
    case 'message':
      return { label: node.text, ...(node.detail ? { tooltip: node.detail } : {}), contextValue: 'nhd.message', icon: node.severity === 'error' ? 'error' : 'info', collapsible: 'none' };
    case 'workload':
      return workloadView(node.name, `${node.kind}/${node.name} in ${node.namespace} (${node.context})`, state);
  }
}

function workloadView(name: string, title: string, { summary, session, run }: WorkloadState): NodeView {
  const parts: string[] = [];
  const tooltip = [title];
  if (summary) {
    parts.push(summary.ready);
    tooltip.push(`ready ${summary.ready}${summary.healthy ? '' : ' (not healthy)'}`);
  }
  let owner: 'none' | 'mine' | 'other' = 'none';
  let icon = summary && !summary.healthy ? 'warning' : 'circle-outline';
  if (session) {
    owner = session.state === 'failed' ? 'other' : 'mine';
    const says = { starting: 'starting dev mode', ready: 'developing', ending: 'ending dev mode', ended: 'dev mode ended', failed: 'dev start failed' }[session.state];
    parts.push(says);
    icon = session.state === 'ready' ? 'code' : session.state === 'failed' ? 'error' : 'sync~spin';
    tooltip.push(`dev mode: ${session.state}, image ${session.image}, workDir ${session.workDir}${session.localDir ? `, local ${session.localDir}` : ''}${session.pod ? `, pod ${session.pod}` : ''}`);
    if (session.error) tooltip.push(`error: ${session.error}`);
    for (const w of session.warnings ?? []) tooltip.push(`warning: ${w}`);
  } else if (summary?.devState === 'developing') {
    owner = 'other';
    icon = 'lock';
    parts.push(`dev by ${summary.devOwner?.identity ?? 'someone'}`);
    if (summary.devOwner) tooltip.push(`in dev mode by ${summary.devOwner.identity} since ${summary.devOwner.since} (session ${summary.devOwner.session}); another daemon holds it`);
  }
  if (run) {
    const reloads = run.reloads > 0 ? `, ${run.reloads} reload${run.reloads === 1 ? '' : 's'}` : '';
    parts.push(run.state === 'exited' ? 'exited' : `${run.state}${run.hotReload ? ' (hot reload)' : ''}`);
    tooltip.push(`run: ${run.command.join(' ')} ${run.state}${run.hotReload ? ', hot reload' : ''}${reloads}`);
    if (run.state === 'running') icon = 'play-circle';
  }
  return {
    label: name,
    description: parts.join(' · '),
    tooltip: tooltip.join('\n'),
    contextValue: `nhd.workload.${owner}${run ? '.running' : ''}`,
    icon,
    collapsible: 'none',
  };
}

/** The status bar item: hidden while no session syncs. */
export interface StatusView {
  visible: boolean;
  text: string;
  tooltip: string;
  /** Draw it as a warning (error, reconnecting, failed, held deletes, conflicts). */
  warning: boolean;
}

/** `$(sync) nhd: authors live 12 ms`, the worst state first when several sessions sync. */
export function syncStatusView(sessions: readonly SyncStatus[], connection: 'running' | 'starting' | 'stopped' = 'running'): StatusView {
  if (connection === 'stopped') return { visible: true, text: '$(warning) nhd: daemon not running', tooltip: 'The connection to the nhd daemon is down. Click for details.', warning: true };
  const live = sessions.filter((s) => s.state !== 'stopped');
  if (live.length === 0) return { visible: false, text: '$(sync) nhd', tooltip: 'No file sync runs.', warning: false };
  const rank = (s: SyncStatus) => ({ failed: 0, error: 1, reconnecting: 2, starting: 3, watching: 4, stopped: 5 })[s.state] - (s.held.length > 0 || s.conflicts.length > 0 ? 0.5 : 0);
  const latest = (s: SyncStatus) => s.lastBatch?.at ?? '';
  const top = [...live].sort((a, b) => rank(a) - rank(b) || latest(b).localeCompare(latest(a)))[0]!;
  const name = sessionName(top.sessionId);
  const more = live.length > 1 ? ` (+${live.length - 1})` : '';
  let text: string;
  let warning = false;
  switch (top.state) {
    case 'failed':
      text = `$(error) nhd: ${name} sync failed`;
      warning = true;
      break;
    case 'error':
      text = `$(error) nhd: ${name} sync error`;
      warning = true;
      break;
    case 'reconnecting':
      text = `$(warning) nhd: ${name} reconnecting`;
      warning = true;
      break;
    case 'starting':
      text = `$(sync~spin) nhd: ${name} syncing`;
      break;
    default:
      if (top.held.length > 0) {
        text = `$(warning) nhd: ${name} deletes held`;
        warning = true;
      } else if (top.conflicts.length > 0) {
        text = `$(warning) nhd: ${name} ${top.conflicts.length} conflict${top.conflicts.length === 1 ? '' : 's'}`;
        warning = true;
      } else text = top.lastBatch ? `$(sync) nhd: ${name} live ${formatMs(top.lastBatch.latencyMs)}` : `$(sync) nhd: ${name} in sync`;
  }
  const tooltip = live.map((s) => {
    const b = s.lastBatch;
    return `${s.sessionId}: ${s.state}${b ? `, last save live in ${formatMs(b.latencyMs)} (${b.files} file${b.files === 1 ? '' : 's'})` : ''}${s.error ? `: ${s.error}` : ''}`;
  });
  return { visible: true, text: text + more, tooltip: `${tooltip.join('\n')}\nClick for details.`, warning };
}
