import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { RpcErrorCode, TestSleepRequest } from '../../protocol';
import { until, type TestClient } from '../harness/daemon';
import { MODES, type Env } from '../harness/modes';

type ProgressValue = { kind: string; title?: string; message?: string; percentage?: number; cancellable?: boolean };

/** The machinery every long operation shares, exercised through the test hook nhd/test/sleep, in every deployment mode. */
describe.each(Object.entries(MODES))('progress and cancellation %s', (_, startEnv) => {
  let env: Env;
  let client: TestClient;
  beforeAll(async () => {
    env = await startEnv();
    client = await env.client();
  });
  afterAll(async () => {
    client.dispose();
    await env.dispose();
  });

  function progressFor(token: string): ProgressValue[] {
    return client.notifications
      .filter((n) => n.method === '$/progress' && (n.params as { token: string }).token === token)
      .map((n) => (n.params as { value: ProgressValue }).value);
  }

  it('reports $/progress under the client token: begin, reports with percentages, end', async () => {
    const slept = await client.connection.sendRequest(TestSleepRequest.type, { ms: 300, workDoneToken: 'p1' });
    expect(slept).toBeGreaterThanOrEqual(300);
    const values = progressFor('p1');
    expect(values[0]).toMatchObject({ kind: 'begin', title: 'Sleeping', cancellable: true });
    expect(values.at(-1)).toEqual({ kind: 'end' });
    const percentages = values.filter((v) => v.kind === 'report').map((v) => v.percentage!);
    expect(percentages.length).toBeGreaterThan(2);
    expect(percentages).toEqual([...percentages].sort((a, b) => a - b));
    expect(percentages.at(-1)).toBe(100);
  });

  it('reports progress for executeCommand under its workDoneToken', async () => {
    await client.connection.sendRequest('workspace/executeCommand', { command: 'nhd.test.sleep', arguments: [{ ms: 100 }], workDoneToken: 'p2' });
    expect(progressFor('p2').map((v) => v.kind)).toContain('end');
  });

  it('honours $/cancelRequest', async () => {
    const source = new CancellationTokenSource();
    const started = Date.now();
    const pending = client.connection.sendRequest(TestSleepRequest.type, { ms: 30_000 }, source.token);
    setTimeout(() => source.cancel(), 100);
    await expect(pending).rejects.toMatchObject({ code: RpcErrorCode.RequestCancelled });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('honours window/workDoneProgress/cancel', async () => {
    const pending = client.connection.sendRequest(TestSleepRequest.type, { ms: 30_000, workDoneToken: 'p3' });
    await until(() => progressFor('p3').length > 0, 'progress begins');
    await client.connection.sendNotification('window/workDoneProgress/cancel', { token: 'p3' });
    await expect(pending).rejects.toMatchObject({ code: RpcErrorCode.RequestCancelled });
    expect(progressFor('p3').at(-1)).toEqual({ kind: 'end', message: 'cancelled' });
  });

  it('creates a token with window/workDoneProgress/create when the client gave none', async () => {
    const created: unknown[] = [];
    client.connection.onRequest('window/workDoneProgress/create', (params: { token: string }) => {
      created.push(params.token);
      return null;
    });
    await client.connection.sendRequest(TestSleepRequest.type, { ms: 100 });
    expect(created).toHaveLength(1);
    expect(progressFor(created[0] as string).map((v) => v.kind)).toContain('begin');
  });
});
