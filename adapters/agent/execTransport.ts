/**
 * Runs the sync agent in a container through `Cluster.exec`: the bundle is uploaded into the
 * container's /tmp under a name made from its content hash (so a sidecar never runs an agent of
 * another version), then run with `node` over the exec's stdin and stdout, which carry the frames.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { Cluster } from '../../server/ports';
import { LogTail, StreamAgentLink, type ConnectOptions } from './agentLink';
import { agentBundle } from './agentBundle';

export interface ExecTarget {
  context: string;
  namespace: string;
  pod: string;
  container: string;
}

export interface ExecAgentOptions extends ConnectOptions {
  /** The node command in the container. */
  node?: string;
  /** Where the bundle goes in the container. */
  directory?: string;
  /** The bundle to upload; by default the built dist/agent.js (or the single executable's asset). */
  bundlePath?: string;
  /** Receives the agent's stderr (its log). */
  onLog?: (text: string) => void;
}

/**
 * Uploads with `head -c SIZE` rather than reading to EOF, because not every exec transport can
 * close stdin; the temp name and `mv` keep a concurrent upload from exposing half a file.
 */
const UPLOAD_SCRIPT = 'set -e; mkdir -p "$(dirname "$1")"; t="$1.$$.tmp"; head -c "$2" > "$t"; mv -f "$t" "$1"';

/** Uploads the agent into the container (idempotent) and connects to it. */
export async function startExecAgent(cluster: Pick<Cluster, 'exec'>, target: ExecTarget, root: string, options: ExecAgentOptions = {}): Promise<StreamAgentLink> {
  const bundle = options.bundlePath ? fs.readFileSync(options.bundlePath) : agentBundle();
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
  const remotePath = `${options.directory ?? '/tmp/nhd-agent'}/agent-${hash}.js`;
  await upload(cluster, target, remotePath, bundle);

  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  const log = new PassThrough();
  const tail = new LogTail();
  log.setEncoding('utf8');
  log.on('data', (text: string) => {
    tail.add(text);
    options.onLog?.(text);
  });
  const { context, namespace, pod, container } = target;
  const agent = await cluster.exec(context, namespace, pod, container, [options.node ?? 'node', remotePath, '--root', root], {
    stdin: toAgent,
    stdout: fromAgent,
    stderr: log,
    tty: false,
  });
  const exited = agent.exited.then((code) =>
    code === null
      ? `The exec stream to the sync agent in ${pod}/${container} broke.${tail.suffix()}`
      : `The sync agent in ${pod}/${container} exited with code ${code}.${code === 0 ? '' : tail.suffix()}`,
  );
  // The exec's relays never end our streams; a process that is gone must still end the output.
  void exited.then(() => {
    if (!fromAgent.writableEnded) fromAgent.end();
  });
  return StreamAgentLink.connect({ input: toAgent, output: fromAgent, exited, kill: () => agent.close() }, options);
}

async function upload(cluster: Pick<Cluster, 'exec'>, target: ExecTarget, remotePath: string, bundle: Buffer): Promise<void> {
  const errors = new PassThrough();
  let stderr = '';
  errors.setEncoding('utf8');
  errors.on('data', (text: string) => (stderr += text));
  const { context, namespace, pod, container } = target;
  const uploader = await cluster.exec(context, namespace, pod, container, ['sh', '-c', UPLOAD_SCRIPT, 'sh', remotePath, String(bundle.length)], {
    stdin: Readable.from([bundle]),
    stdout: new PassThrough().resume(),
    stderr: errors,
    tty: false,
  });
  const code = await uploader.exited;
  if (code !== 0) {
    throw new Error(`Uploading the sync agent to ${pod}/${container}:${remotePath} failed (exit ${code ?? 'unknown'}): ${stderr.trim() || 'no output'}.`);
  }
}
