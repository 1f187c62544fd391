import { describe, expect, it } from 'vitest';
import type { LogTag } from '../../../server/ports';
import { terminalNotifications } from '../../../server/rpc/streamMethods';
import type { ClientHandle } from '../../../server/rpc/handler';
import type { Services } from '../../../server/services';

/** Terminal input and resize have no answer: what the log says is all anyone learns. */
describe('terminal notifications', () => {
  const client: ClientHandle = { id: 1, scope: {}, notify() {}, onClose() {} };

  function setup(terminals: Partial<Services['terminals']>) {
    const entries: { level: string; tag: LogTag; message: string }[] = [];
    const log = { log: (level: string, tag: LogTag, message: string) => void entries.push({ level, tag, message }) };
    const handlers = new Map(terminalNotifications({ terminals } as unknown as Services, log).map((h) => [h.method, h]));
    return { entries, input: handlers.get('nhd/terminal/input')!, resize: handlers.get('nhd/terminal/resize')! };
  }

  it('serves good params', () => {
    const seen: unknown[] = [];
    const { entries, input, resize } = setup({ input: (id, data, eof) => void seen.push([id, data.toString(), eof]), resize: (id, cols, rows) => void seen.push([id, cols, rows]) });
    input.handle({ terminalId: 't1', data: Buffer.from('ls\n').toString('base64') }, client);
    resize.handle({ terminalId: 't1', cols: 80, rows: 24 }, client);
    expect(seen).toEqual([['t1', 'ls\n', false], ['t1', 80, 24]]);
    expect(entries).toEqual([]);
  });

  it('drops bad params as bad input, without calling the service', () => {
    let called = false;
    const { entries, resize } = setup({ resize: () => void (called = true) });
    resize.handle({ terminalId: 't1', cols: 0, rows: 24 }, client);
    expect(called).toBe(false);
    expect(entries).toEqual([{ level: 'warn', tag: 'rpc.badInput', message: expect.stringContaining('params.cols') }]);
  });

  it('reports a service that throws as a bug, not as bad input', () => {
    const { entries, input } = setup({
      input: () => {
        throw new TypeError('stdin is undefined');
      },
    });
    expect(() => input.handle({ terminalId: 't1', data: '' }, client)).not.toThrow();
    expect(entries).toEqual([{ level: 'error', tag: 'bug', message: 'nhd/terminal/input failed' }]);
  });
});
