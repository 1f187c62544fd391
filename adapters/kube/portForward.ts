/**
 * One forwarded connection through client-node's PortForward (a websocket to the pod's
 * portforward subresource). Every stream involved gets an 'error' listener: an unhandled 'error'
 * on a socket or websocket would end the daemon. Flow control through relay.ts.
 */
import { Writable, type Duplex } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
import { inputRelay, OutputRelay } from './relay';

export async function forwardConnection(kc: KubeConfig, namespace: string, pod: string, port: number, connection: Duplex): Promise<void> {
  connection.on('error', () => {});
  let errorText = '';
  let onErrorText = () => {};
  const errStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      errorText += chunk.toString();
      if (errorText.trim()) setImmediate(() => onErrorText());
      cb();
    },
  });
  const output = new OutputRelay(connection);
  const input = inputRelay(connection);
  // disconnectOnErr=false: client-node would otherwise close on any unexpected channel.
  const pf = new PortForward(kc, false);
  let socket: any;
  try {
    socket = await pf.portForward(namespace, pod, [port], output, errStream, input.stream);
  } catch (e) {
    input.stop();
    connection.destroy();
    throw e;
  }
  output.socket = socket;
  input.start(socket);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      input.stop();
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
    if (socket.readyState === socket.CLOSED || connection.destroyed) finish();
  });
}
