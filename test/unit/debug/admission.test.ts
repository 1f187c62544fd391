import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol';
import { AdmissionGate, isSecret, newSecret, SECRET_FIELD } from '../../../server/debug/admission';
import type { DapChannel, DapMessage } from '../../../server/ports';

/**
 * The gate in front of a TCP listener's DAP session: only `initialize` passes before the first
 * `launch`/`attach` presents the secret; anything else is answered with an error and closed. The
 * real listener, with real DAP clients, is test/integration/dapListener.test.ts.
 */

class FakeIde implements DapChannel {
  readonly sent: Record<string, unknown>[] = [];
  isClosed = false;
  private listener: (message: DapMessage) => void = () => {};
  private resolveClosed!: (value: { reason: string }) => void;
  readonly closed = new Promise<{ reason: string }>((resolve) => (this.resolveClosed = resolve));
  send(message: { type: DapMessage['type']; [key: string]: unknown }): number {
    this.sent.push(message);
    return this.sent.length;
  }
  onMessage(listener: (message: DapMessage) => void): void {
    this.listener = listener;
  }
  deliver(message: DapMessage): void {
    this.listener(message);
  }
  request(seq: number, command: string, args?: unknown): void {
    this.deliver({ seq, type: 'request', command, ...(args !== undefined ? { arguments: args } : {}) });
  }
  close(): void {
    this.isClosed = true;
    this.resolveClosed({ reason: 'closed' });
  }
}

function gated() {
  const ide = new FakeIde();
  const secret = newSecret();
  const refusals: string[] = [];
  const gate = new AdmissionGate(ide, secret, (why) => refusals.push(why));
  const passed: DapMessage[] = [];
  gate.onMessage((m) => passed.push(m));
  return { ide, secret, gate, passed, refusals };
}

describe('AdmissionGate', () => {
  it('lets initialize through, then admits the attach that carries the secret, without it, and everything after', async () => {
    const { ide, secret, gate, passed } = gated();
    ide.request(1, 'initialize', { adapterID: 'nhd' });
    expect(passed.map((m) => m['command'])).toEqual(['initialize']);
    ide.request(2, 'attach', { workload: 'deployment/authors', [SECRET_FIELD]: secret });
    ide.request(3, 'threads');
    expect(await gate.admitted).toBe(true);
    expect(passed.map((m) => m['command'])).toEqual(['initialize', 'attach', 'threads']);
    expect(passed[1]!['arguments']).toEqual({ workload: 'deployment/authors' });
    expect(ide.isClosed).toBe(false);
  });

  it('admits a launch with the secret too (LSP4IJ launches)', async () => {
    const { ide, secret, gate, passed } = gated();
    ide.request(1, 'launch', { [SECRET_FIELD]: secret, port: 1 });
    expect(await gate.admitted).toBe(true);
    expect(passed[0]).toMatchObject({ command: 'launch', arguments: { port: 1 } });
  });

  for (const [name, args, why] of [
    ['no secret', { workload: 'deployment/authors' }, 'no secret'],
    ['no arguments at all', undefined, 'no secret'],
    ['a wrong secret', { [SECRET_FIELD]: 'A'.repeat(43) }, 'a wrong secret'],
    ['a secret that is no string', { [SECRET_FIELD]: 42 }, 'a wrong secret'],
  ] as const) {
    it(`answers an attach with ${name} with an error that says what is missing, and closes the connection`, async () => {
      const { ide, gate, passed, refusals } = gated();
      ide.request(1, 'initialize', {});
      ide.request(2, 'attach', args);
      expect(await gate.admitted).toBe(false);
      expect(refusals).toEqual([why]);
      expect(passed.map((m) => m['command'])).toEqual(['initialize']);
      expect(ide.sent).toEqual([
        expect.objectContaining({ type: 'response', request_seq: 2, command: 'attach', success: false, message: expect.stringContaining(`"${SECRET_FIELD}"`), body: { error: expect.objectContaining({ id: ErrorCode.DebugAttachInvalid }) } }),
      ]);
      expect(ide.isClosed).toBe(true);
      // Nothing more reaches the session.
      ide.request(3, 'attach', {});
      expect(passed).toHaveLength(1);
    });
  }

  it('refuses any other request before launch or attach, and a response or event', async () => {
    for (const message of [
      { seq: 1, type: 'request', command: 'threads' },
      { seq: 1, type: 'response', command: 'runInTerminal', request_seq: 1, success: true },
      { seq: 1, type: 'event', event: 'output' },
    ] as DapMessage[]) {
      const ide = new FakeIde();
      const refusals: string[] = [];
      const gate = new AdmissionGate(ide, newSecret(), (why) => refusals.push(why));
      const passed: DapMessage[] = [];
      gate.onMessage((m) => passed.push(m));
      ide.deliver(message);
      expect(await gate.admitted).toBe(false);
      expect(refusals).toEqual(['a message before launch or attach']);
      expect(passed).toEqual([]);
      expect(ide.isClosed).toBe(true);
    }
  });

  it('is not admitted when the connection closes first', async () => {
    const { ide, gate } = gated();
    ide.close();
    expect(await gate.admitted).toBe(false);
  });
});

describe('isSecret', () => {
  it('holds only for the same string', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isSecret(secret, secret)).toBe(true);
    expect(isSecret(`${secret}x`, secret)).toBe(false);
    expect(isSecret(secret.slice(1), secret)).toBe(false);
    expect(isSecret('', secret)).toBe(false);
    expect(isSecret(undefined, secret)).toBe(false);
    expect(isSecret(newSecret(), secret)).toBe(false);
  });
});
