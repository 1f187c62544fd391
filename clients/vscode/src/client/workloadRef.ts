import { WORKLOAD_KIND_SPELLINGS, type WorkloadKind, type WorkloadRef } from '../../../../protocol';

/** The kinds in the order the tree shows them, with their group labels. */
export const KIND_ORDER: readonly { kind: WorkloadKind; label: string }[] = [
  { kind: 'deployment', label: 'Deployments' },
  { kind: 'statefulset', label: 'StatefulSets' },
  { kind: 'daemonset', label: 'DaemonSets' },
  { kind: 'job', label: 'Jobs' },
  { kind: 'cronjob', label: 'CronJobs' },
  { kind: 'pod', label: 'Pods' },
];

/** `deployment/authors` (kubectl's short kinds and plurals accepted), or undefined. */
export function parseWorkload(text: string): { kind: WorkloadKind; name: string } | undefined {
  const m = /^\s*([A-Za-z]+)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\s*$/.exec(text);
  const kind = m ? WORKLOAD_KIND_SPELLINGS[m[1]!.toLowerCase()] : undefined;
  return kind && m ? { kind, name: m[2]! } : undefined;
}

export function formatWorkload(ref: { kind: string; name: string }): string {
  return `${ref.kind}/${ref.name}`;
}

/** The dev session id the daemon uses: `<context>/<namespace>/<kind>/<name>`. */
export function sessionId(ref: Required<Pick<WorkloadRef, 'context' | 'namespace' | 'kind' | 'name'>>): string {
  return `${ref.context}/${ref.namespace}/${ref.kind}/${ref.name}`;
}

/** `LOCAL:REMOTE` (or a single port for both); LOCAL may be 0 or empty for any free port. */
export function parsePortPair(text: string): { localPort: number; remotePort: number } | string {
  const m = /^\s*(\d*)\s*(?::\s*(\d+))?\s*$/.exec(text);
  if (!m || (m[1] === '' && m[2] === undefined)) return 'Type LOCAL:REMOTE, for example 8080:9080 (LOCAL 0 or empty picks a free port).';
  const localPort = m[1] === '' ? 0 : Number(m[1]);
  const remotePort = Number(m[2] ?? m[1]);
  if (localPort > 65535 || remotePort < 1 || remotePort > 65535) return 'Ports are numbers from 1 to 65535 (LOCAL may be 0).';
  return { localPort, remotePort };
}
