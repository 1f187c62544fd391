import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../../server/logs/logsService';
import { parsePortPair } from '../../../server/portForward/portForwardService';
import { parsePorts } from '../../../clients/cli/commands/portForward';

/** The pure parts of terminals, port-forwards and logs; the rest is proven on the cluster (test/e2e). */

function written(chunks: Buffer[]): Promise<string[]> {
  const texts: string[] = [];
  const writer = new LineWriter((text) => texts.push(text));
  for (const chunk of chunks) writer.write(chunk);
  return new Promise((resolve) =>
    writer.end(() => {
      writer.finish();
      resolve(texts);
    }),
  );
}

describe('LineWriter', () => {
  it('passes whole lines on and keeps a multi-byte character split across chunks intact', async () => {
    const bytes = Buffer.from('héllo ✓\nsecond line\nthird', 'utf8');
    // Split inside "é" (2 bytes) and inside "✓" (3 bytes).
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9, 12), bytes.subarray(12)];
    const texts = await written(chunks);
    expect(texts.join('')).toBe('héllo ✓\nsecond line\nthird');
    expect(texts.slice(0, -1).every((t) => t.endsWith('\n'))).toBe(true);
    expect(texts.at(-1)).toBe('third');
  });

  it('sends a partial line after a pause, so a prompt is not held back', async () => {
    const texts: string[] = [];
    const writer = new LineWriter((text) => texts.push(text));
    writer.write(Buffer.from('Password: '));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(texts).toEqual(['Password: ']);
    writer.finish();
  });

  it('counts bytes, not characters', async () => {
    const writer = new LineWriter(() => {});
    writer.write(Buffer.from('✓\n'));
    expect(writer.bytes).toBe(4);
    writer.finish();
  });
});

describe('port pairs', () => {
  it('reads the dev config form: LOCAL:REMOTE, or one port for both', () => {
    expect(parsePortPair('39080:9080')).toEqual({ localPort: 39080, remotePort: 9080 });
    expect(parsePortPair('9080')).toEqual({ localPort: 9080, remotePort: 9080 });
    expect(() => parsePortPair('http')).toThrow(/LOCAL:REMOTE/);
    expect(() => parsePortPair('80:70000')).toThrow(/LOCAL:REMOTE/);
  });

  it('reads the CLI form, where an empty LOCAL picks a free port', () => {
    expect(parsePorts('39080:9080')).toEqual({ localPort: 39080, remotePort: 9080 });
    expect(parsePorts(':9080')).toEqual({ localPort: 0, remotePort: 9080 });
    expect(parsePorts('9080')).toEqual({ localPort: 9080, remotePort: 9080 });
    expect(() => parsePorts('a:b')).toThrow(/LOCAL:REMOTE/);
  });
});
