/**
 * Runs the sync agent as a local child process: the local side of sendReceive, and integration
 * tests and benchmarks (the same bundle and the same framing as in a sidecar, without a cluster).
 */
import { spawn } from 'node:child_process';
import { agentBundlePath, localAgentCommand } from './agentBundle';
import { LogTail, StreamAgentLink, type ConnectOptions } from './agentLink';

export interface LocalAgentOptions extends ConnectOptions {
  /** Receives the agent's stderr (its log); by default it is dropped. */
  onLog?: (text: string) => void;
  /** The node binary that runs the agent; by default the daemon's own. */
  node?: string;
  /** Extra environment for the agent. */
  env?: Record<string, string>;
}

/** A running local agent: the link, and the process for tests that need to kill it. */
export interface LocalAgent {
  link: StreamAgentLink;
  pid: number;
}

/** Starts `node dist/agent.js --root <root>` (or the single executable as the agent) and connects to it. */
export async function startLocalAgent(root: string, options: LocalAgentOptions = {}): Promise<LocalAgent> {
  const agent = options.node ? { command: options.node, args: [agentBundlePath(), '--root', root], env: {} } : localAgentCommand(root);
  const child = spawn(agent.command, agent.args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...agent.env, ...options.env },
  });
  const tail = new LogTail();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    tail.add(text);
    options.onLog?.(text);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`The sync agent could not start: ${error.message}`));
    child.once('close', (code, signal) =>
      resolve(signal ? `The sync agent was killed by ${signal}.` : `The sync agent exited with code ${code}.${code === 0 ? '' : tail.suffix()}`),
    );
  });
  const link = await StreamAgentLink.connect({ input: child.stdin, output: child.stdout, exited, kill: () => child.kill('SIGKILL') }, options);
  return { link, pid: child.pid ?? -1 };
}
