/**
 * Drives an installed nhd (the npm package's bin, the single executable in a root without Node)
 * as a user and an editor would: the CLI to completion, and one LSP session over stdio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { InitializeResultShape } from '../harness/daemon';

/** How to run the installed `nhd`: `command ...prefix ARGS`. */
export interface InstalledNhd {
  command: string;
  prefix: string[];
  env: NodeJS.ProcessEnv;
}

export function runNhd(nhd: InstalledNhd, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(nhd.command, [...nhd.prefix, ...args], { env: nhd.env, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `nhd serve` on stdio: initialize, initialized, shutdown, exit; the process must then exit 0. */
export async function lspRoundTrip(nhd: InstalledNhd): Promise<InitializeResultShape> {
  const child = spawn(nhd.command, [...nhd.prefix, 'serve'], { env: nhd.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.listen();
  try {
    const result = (await connection.sendRequest('initialize', { processId: process.pid, clientInfo: { name: 'install-test', version: '0' }, rootUri: null, capabilities: {} })) as InitializeResultShape;
    await connection.sendNotification('initialized', {});
    expect(await connection.sendRequest('shutdown')).toBeNull();
    await connection.sendNotification('exit');
    expect(await closed, stderr).toBe(0);
    return result;
  } finally {
    connection.dispose();
    child.kill();
  }
}

/** Ends the shared daemon the CLI calls started (they leave it running, as for a user). */
export function stopDaemon(nhd: InstalledNhd): void {
  const status = runNhd(nhd, ['status', '--json']);
  if (status.status !== 0) return;
  try {
    process.kill((JSON.parse(status.stdout) as { pid: number }).pid);
  } catch {
    // Gone already.
  }
}
