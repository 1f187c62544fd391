import * as crypto from 'node:crypto';
import { ErrorCode } from '../../protocol';
import type { DapChannel, DapMessage } from '../ports';

/** The field of the first `launch`/`attach` arguments that carries a TCP listener's secret. */
export const SECRET_FIELD = 'nhdSecret';

/** A TCP listener's secret: 256 random bits, base64url. */
export function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Whether `given` is the secret, in constant time: both sides are hashed first, so neither the
 * bytes nor the length of a wrong guess change how long the comparison takes.
 */
export function isSecret(given: unknown, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (text: string) => crypto.createHash('sha256').update(text).digest();
  return crypto.timingSafeEqual(digest(given), digest(secret));
}

type Refusal = 'no secret' | 'a wrong secret' | 'a message before launch or attach';

/**
 * The IDE's side of a connection to a TCP listener, which any local user can open: it lets only
 * `initialize` through (a DAP client waits for its answer before it attaches) until the first
 * `launch` or `attach` presents the secret as `nhdSecret`. That request goes on without the field
 * and the connection is admitted; anything else is answered with an error saying what is missing,
 * and the connection is closed. Wraps the channel, so the proxy behind it never sees what came
 * before admission except `initialize`.
 */
export class AdmissionGate implements DapChannel {
  private listener: (message: DapMessage) => void = () => {};
  private state: 'waiting' | 'admitted' | 'refused' = 'waiting';
  private resolveAdmitted!: (admitted: boolean) => void;
  /** True once the secret was presented; false when the connection was refused or closed before. */
  readonly admitted = new Promise<boolean>((resolve) => (this.resolveAdmitted = resolve));
  readonly closed: Promise<{ reason: string }>;

  constructor(
    private readonly inner: DapChannel,
    private readonly secret: string,
    private readonly onRefused: (why: Refusal) => void,
  ) {
    this.closed = inner.closed;
    inner.onMessage((message) => this.receive(message));
    void inner.closed.then(() => this.resolveAdmitted(false));
  }

  send(message: { type: DapMessage['type']; [key: string]: unknown }): number {
    return this.inner.send(message);
  }

  onMessage(listener: (message: DapMessage) => void): void {
    this.listener = listener;
  }

  close(): void {
    this.inner.close();
  }

  private receive(message: DapMessage): void {
    if (this.state === 'admitted') return this.listener(message);
    if (this.state === 'refused') return;
    const command = message.type === 'request' ? message['command'] : undefined;
    if (command === 'initialize') return this.listener(message);
    if (command !== 'launch' && command !== 'attach') return this.refuse(message, 'a message before launch or attach');
    const args = message['arguments'];
    const fields = args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
    if (!isSecret(fields[SECRET_FIELD], this.secret)) return this.refuse(message, SECRET_FIELD in fields ? 'a wrong secret' : 'no secret');
    const { [SECRET_FIELD]: _secret, ...rest } = fields;
    this.state = 'admitted';
    this.resolveAdmitted(true);
    this.listener({ ...message, arguments: rest });
  }

  private refuse(message: DapMessage, why: Refusal): void {
    this.state = 'refused';
    if (message.type === 'request') {
      const text =
        `nhd refused this debug session: it came to a TCP port, which any user of this machine can reach, with ${why}. ` +
        `The first launch or attach on it must carry the secret nhd/debug/listen returned, as "${SECRET_FIELD}" in its arguments. ` +
        'Clients that can open a unix socket ask nhd/debug/listen for transport "socket" (nhd dap, the nhd VS Code extension and Neovim plugin do): update the one that connected here.';
      this.inner.send({
        type: 'response',
        request_seq: message.seq,
        command: message['command'],
        success: false,
        message: text,
        body: { error: { id: ErrorCode.DebugAttachInvalid, format: text, showUser: true } },
      });
    }
    this.inner.close();
    this.onRefused(why);
  }
}
