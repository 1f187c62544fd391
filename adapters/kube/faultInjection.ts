/**
 * Test only: kills the daemon at a chosen cluster write, so that the e2e suite can crash dev start
 * and dev end at every step (test/e2e/devModeFaults.test.ts). `NHD_TEST_FAULT=write:N:before|after`
 * (read by clients/cli/serve.ts, and only together with NHD_TEST_HOOKS=1) wraps every Cluster the
 * daemon builds: the writes (create, replace, mergePatch, patch, delete, apply) are counted from 1
 * across the whole process, each is logged (tag `kube`, message `write N: ...`), and the process is
 * SIGKILLed right before write N is sent or right after its answer (success or failure) arrives.
 * Counting writes, rather than naming steps, covers every write whatever the steps become.
 */
import type { Cluster, Logger } from '../../server/ports';

export const FAULT_ENV = 'NHD_TEST_FAULT';

export interface Fault {
  /** The write to kill at, counted from 1. */
  write: number;
  when: 'before' | 'after';
}

const SYNTAX = /^write:([1-9]\d{0,5}):(before|after)$/;

/** The fault `text` names; throws an Error a person can act on for anything else. */
export function parseFault(text: string): Fault {
  const match = SYNTAX.exec(text.trim());
  if (!match) {
    throw new Error(`${FAULT_ENV}=${JSON.stringify(text)} is not a fault: write it as write:N:before or write:N:after (N from 1, the cluster write to kill the daemon at), or unset ${FAULT_ENV}; it is for tests only.`);
  }
  return { write: Number(match[1]), when: match[2] as Fault['when'] };
}

const WRITES = ['create', 'replace', 'mergePatch', 'patch', 'delete', 'apply'] as const;
type Write = (typeof WRITES)[number];

/** What a write is about, for the log: `create ConfigMap ns/name`. */
function describeWrite(method: Write, args: unknown[]): string {
  if (method === 'create' || method === 'replace' || method === 'apply') {
    const object = args[1] as { kind?: string; metadata?: { namespace?: string; name?: string } };
    return `${method} ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
  }
  const [, namespace, type, name] = args as [string, string, { kind: string }, string];
  return `${method} ${type.kind} ${namespace}/${name}`;
}

/**
 * Wraps Clusters with one write counter shared by all of them (a daemon builds one per
 * KUBECONFIG). `kill` is injected so that a unit test can watch it instead of dying.
 */
export function faultInjector(fault: Fault, log: Logger, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): (cluster: Cluster) => Cluster {
  let count = 0;
  const fire = (n: number, when: Fault['when'], what: string) => {
    if (n !== fault.write || when !== fault.when) return;
    log.log('warn', 'kube', `${FAULT_ENV}: killing the daemon ${when} write ${n} (${what})`);
    kill();
  };
  const isWrite = (name: string | symbol): name is Write => (WRITES as readonly (string | symbol)[]).includes(name);
  return (cluster) =>
    new Proxy(cluster, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name, target);
        if (typeof value !== 'function') return value;
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        if (!isWrite(name)) return method;
        return async (...args: unknown[]) => {
          const n = ++count;
          const what = describeWrite(name, args);
          log.log('info', 'kube', `write ${n}: ${what}`);
          fire(n, 'before', what);
          try {
            return await method(...args);
          } finally {
            fire(n, 'after', what);
          }
        };
      },
    });
}
