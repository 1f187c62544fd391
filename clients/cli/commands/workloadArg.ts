import type { WorkloadKind } from '../../../protocol';
import { UsageError } from '../usage';

/** Kinds and their kubectl spellings. The daemon validates too; this gives the CLI typed refs. */
const KIND_ALIASES: Record<string, WorkloadKind> = {
  deployment: 'deployment', deployments: 'deployment', deploy: 'deployment',
  statefulset: 'statefulset', statefulsets: 'statefulset', sts: 'statefulset',
  daemonset: 'daemonset', daemonsets: 'daemonset', ds: 'daemonset',
  job: 'job', jobs: 'job',
  cronjob: 'cronjob', cronjobs: 'cronjob', cj: 'cronjob',
  pod: 'pod', pods: 'pod', po: 'pod',
};

/** Reads `KIND/NAME` the way kubectl does (`deployment/authors`, `deploy/authors`, `sts/db`). */
export function parseWorkloadArg(text: string | undefined): { kind: WorkloadKind; name: string } {
  const slash = text?.indexOf('/') ?? -1;
  if (!text || slash <= 0 || slash === text.length - 1) {
    throw new UsageError(`expected KIND/NAME such as deployment/authors, got ${JSON.stringify(text ?? '')}`);
  }
  const kind = KIND_ALIASES[text.slice(0, slash).toLowerCase()];
  if (!kind) throw new UsageError(`unknown kind ${JSON.stringify(text.slice(0, slash))}: use deployment, statefulset, daemonset, job, cronjob or pod`);
  return { kind, name: text.slice(slash + 1) };
}
