import { WORKLOAD_KIND_SPELLINGS, type WorkloadKind } from '../../../protocol';
import { UsageError } from '../usage';

/** Reads `KIND/NAME` the way kubectl does (`deployment/authors`, `deploy/authors`, `sts/db`). */
export function parseWorkloadArg(text: string | undefined): { kind: WorkloadKind; name: string } {
  const slash = text?.indexOf('/') ?? -1;
  if (!text || slash <= 0 || slash === text.length - 1) {
    throw new UsageError(`expected KIND/NAME such as deployment/authors, got ${JSON.stringify(text ?? '')}`);
  }
  const kind = WORKLOAD_KIND_SPELLINGS[text.slice(0, slash).toLowerCase()];
  if (!kind) throw new UsageError(`unknown kind ${JSON.stringify(text.slice(0, slash))}: use deployment, statefulset, daemonset, job, cronjob or pod`);
  return { kind, name: text.slice(slash + 1) };
}
