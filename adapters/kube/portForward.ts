/**
 * One forwarded connection through client-node's PortForward (a websocket to the pod's
 * portforward subresource). Every stream involved gets an 'error' listener: an unhandled 'error'
 * on a socket or websocket would end the daemon.
 */
import { Writable, type Duplex } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';

export async function forwardConnection(kc: KubeConfig, namespace: string, pod: string, port: number, connection: Duplex): Promise<void> {
  const swallow = () => {};
  connection.on('error', swallow);
  let errorText = '';
  let onErrorText = () => {};
  const errStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      errorText += chunk.toString();
      if (errorText.trim()) setImmediate(() => onErrorText());
      cb();
    },
  });
  // disconnectOnErr=false: client-node would otherwise close on any unexpected channel.
  const pf = new PortForward(kc, false);
  let ws: Awaited<ReturnType<PortForward['portForward']>>;
  try {
    ws = await pf.portForward(namespace, pod, [port], connection, errStream, connection);
  } catch (e) {
    connection.destroy();
    throw e;
  }
  const socket = ws as any;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      connection.destroy();
      try {
        socket.close();
      } catch {
        // closed already
      }
      setTimeout(() => socket.terminate?.(), 2000).unref();
      const text = errorText.trim();
      if (text) reject(new Error(`port-forward to ${namespace}/${pod}:${port}: ${text}`));
      else resolve();
    };
    socket.on('error', finish);
    socket.on('close', finish);
    connection.on('close', finish);
    // The error channel carries a message when the pod side cannot connect; nothing more will come.
    onErrorText = finish;
    if (socket.readyState === socket.CLOSED) finish();
  });
}
