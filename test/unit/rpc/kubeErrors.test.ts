import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeCluster } from '../../../adapters/kube';
import { ErrorCode } from '../../../protocol';
import { NhdError } from '../../../server/errors';
import { isNetworkError, kubeCall, kubeCallAsync, toNhdError } from '../../../server/kubeScope';
import { KubeApiError, KubeUnreachableError } from '../../../server/ports';

/** A Node system error as net, tls and undici throw them. */
function systemError(code: string, message = `connect ${code} 127.0.0.1:6443`): Error {
  return Object.assign(new Error(message), { code });
}

function nhdCodeOf(error: unknown): ErrorCode | undefined {
  return error instanceof NhdError ? error.code : undefined;
}

describe('toNhdError: only API answers and network failures become cluster errors', () => {
  it('turns a KubeApiError into KubeApi with its status and reason', () => {
    const mapped = toNhdError(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    expect(mapped).toBeInstanceOf(NhdError);
    expect(mapped).toMatchObject({ code: ErrorCode.KubeApi, message: 'Kubernetes refused: the object has been modified', data: { status: 409, reason: 'Conflict' } });
  });

  it("turns the port's KubeUnreachableError into KubeUnreachable, keeping its message", () => {
    const mapped = toNhdError(new KubeUnreachableError('cannot read kubeconfig /x: bad YAML'));
    expect(mapped).toMatchObject({ code: ErrorCode.KubeUnreachable, message: 'cannot read kubeconfig /x: bad YAML' });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UND_ERR_CONNECT_TIMEOUT'])(
    'turns a network or TLS error (%s) into KubeUnreachable',
    (code) => {
      expect(nhdCodeOf(toNhdError(systemError(code)))).toBe(ErrorCode.KubeUnreachable);
    },
  );

  it('finds the network error in the cause chain and in an AggregateError, keeping the outer message', () => {
    const wrapped = new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') });
    expect(toNhdError(wrapped)).toMatchObject({ code: ErrorCode.KubeUnreachable, message: 'fetch failed' });
    const aggregate = new Error('stream broke', { cause: new AggregateError([systemError('ENETUNREACH'), systemError('EHOSTUNREACH')], '') });
    expect(nhdCodeOf(toNhdError(aggregate))).toBe(ErrorCode.KubeUnreachable);
  });

  it('leaves a bug as it is: a TypeError, a plain Error, an Error with a non-network code, a thrown string', () => {
    for (const error of [new TypeError("Cannot read properties of undefined (reading 'metadata')"), new Error('unexpected state'), systemError('ENOENT', 'no such file'), systemError('ERR_INVALID_ARG_TYPE', 'bad arg'), 'a string']) {
      expect(toNhdError(error)).toBe(error);
    }
  });

  it('leaves NhdErrors and aborts as they are', () => {
    const nhd = new NhdError(ErrorCode.WorkloadNotFound, 'not found');
    expect(toNhdError(nhd)).toBe(nhd);
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    expect(toNhdError(abort)).toBe(abort);
  });

  it('survives a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isNetworkError(a)).toBe(false);
  });

  it('is what kubeCall and kubeCallAsync throw', async () => {
    expect(() => kubeCall(() => { throw systemError('ECONNREFUSED'); })).toThrow(NhdError);
    const bug = new TypeError('x is not a function');
    expect(() => kubeCall(() => { throw bug; })).toThrow(bug);
    await expect(kubeCallAsync(() => Promise.reject(bug))).rejects.toBe(bug);
    await expect(kubeCallAsync(() => Promise.reject(new KubeApiError(403, 'Forbidden', 'no')))).rejects.toMatchObject({ code: ErrorCode.KubeApi });
  });
});

describe('what adapters/kube throws stays a cluster error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nhd-kube-errors-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function kubeconfig(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  /** A port nothing listens on: bound, then closed. */
  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  function configFor(server: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'current-context: nowhere',
      'clusters: [{ name: nowhere, cluster: { server: "' + server + '" } }]',
      'users: [{ name: me, user: { token: t } }]',
      'contexts: [{ name: nowhere, context: { cluster: nowhere, user: me } }]',
      '',
    ].join('\n');
  }

  it('an API server that refuses the connection: KubeUnreachable naming the server and the cause', async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    const cluster = new KubeCluster({ kubeconfig: kubeconfig('refused.yaml', configFor(server)) });
    const error = await kubeCallAsync(() => cluster.namespaces('nowhere')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.KubeUnreachable });
    expect((error as Error).message).toContain(`cannot reach the Kubernetes API server ${server}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('a kubeconfig that is not YAML: KubeUnreachable naming the file', () => {
    const file = kubeconfig('broken.yaml', 'clusters: [unclosed\n  : :\n');
    const cluster = new KubeCluster({ kubeconfig: file });
    let error: unknown;
    try {
      kubeCall(() => cluster.config());
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCode.KubeUnreachable });
    expect((error as Error).message).toContain(`cannot read kubeconfig ${file}`);
  });

  it('a context the kubeconfig does not have: KubeUnreachable naming the context', async () => {
    const cluster = new KubeCluster({ kubeconfig: kubeconfig('one.yaml', configFor('https://127.0.0.1:1')) });
    const error = await kubeCallAsync(() => cluster.namespaces('elsewhere')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.KubeUnreachable, message: expect.stringContaining('context "elsewhere" is not in the kubeconfig') });
  });
});
