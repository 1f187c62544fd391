import { Writable } from 'node:stream';
import { kubeCallAsync, type Scope } from './kubeScope';

/** What a short command in a container printed, and how it ended (null: the stream broke without a status). */
export interface Collected {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short, non-interactive command in a container and collects its output (probes, stop
 * scripts). Errors of the exec itself (the API server, a missing pod) reject as cluster errors;
 * the command's own failure is its exit code.
 */
export async function execAndCollect(scope: Scope, pod: string, container: string, command: string[]): Promise<Collected> {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        into.push(Buffer.from(chunk));
        done();
      },
    });
  const process = await kubeCallAsync(() =>
    scope.cluster.exec(scope.context, scope.namespace, pod, container, command, { stdout: sink(chunks.stdout), stderr: sink(chunks.stderr), tty: false }),
  );
  const code = await process.exited;
  return { code, stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}
