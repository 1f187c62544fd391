import { randomBytes } from 'node:crypto';
import { ErrorCode, type WorkloadKind, type WorkloadSummary } from '../../protocol';
import { KINDS, WORKLOAD_KINDS } from '../devMode/kinds';
import { NhdError } from '../errors';
import { kubeCallAsync, type Scope } from '../kubeScope';
import type { KubeObject } from '../ports';
import { sortSummaries, summarize } from './summary';

/** Browsing: workloads of a namespace, listed once or watched (Kubernetes watches, no polling). */
export class WorkloadsService {
  private readonly watches = new Map<string, AbortController>();

  async list(scope: Scope, kinds: WorkloadKind[] = WORKLOAD_KINDS): Promise<WorkloadSummary[]> {
    const lists = await Promise.all(
      kinds.map(async (kind) => {
        const objects = await kubeCallAsync(() => scope.cluster.list(scope.context, scope.namespace, KINDS[kind].type));
        return objects.map((o) => summarize(kind, o)).filter((s): s is WorkloadSummary => s !== undefined);
      }),
    );
    return sortSummaries(lists.flat());
  }

  /**
   * Watches every kind of the namespace and calls `onChange` with the whole list after each
   * change (coalesced over 50 ms, so a rollout is a few pushes, not dozens).
   */
  async watch(scope: Scope, onChange: (workloads: WorkloadSummary[]) => void): Promise<{ watchId: string; workloads: WorkloadSummary[] }> {
    const watchId = randomBytes(6).toString('hex');
    const abort = new AbortController();
    const objects = new Map<string, { kind: WorkloadKind; object: KubeObject }>();
    let started = false;
    let timer: NodeJS.Timeout | undefined;
    const snapshot = () => sortSummaries([...objects.values()].map(({ kind, object }) => summarize(kind, object)).filter((s): s is WorkloadSummary => s !== undefined));
    const changed = () => {
      if (!started || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!abort.signal.aborted) onChange(snapshot());
      }, 50);
    };
    abort.signal.addEventListener('abort', () => clearTimeout(timer));
    this.watches.set(watchId, abort);
    try {
      await Promise.all(
        WORKLOAD_KINDS.map((kind) =>
          kubeCallAsync(() =>
            scope.cluster.watch(
              scope.context,
              scope.namespace,
              KINDS[kind].type,
              (type, object) => {
                const key = `${kind}/${object.metadata.name}`;
                if (type === 'DELETED') objects.delete(key);
                else objects.set(key, { kind, object });
                changed();
              },
              abort.signal,
            ),
          ),
        ),
      );
    } catch (error) {
      this.unwatch(watchId);
      throw error;
    }
    started = true;
    return { watchId, workloads: snapshot() };
  }

  unwatch(watchId: string): void {
    const abort = this.watches.get(watchId);
    if (!abort) throw new NhdError(ErrorCode.UnknownHandle, `No workload watch ${watchId} is open on this daemon.`);
    abort.abort();
    this.watches.delete(watchId);
  }
}
