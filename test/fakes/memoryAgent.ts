import type { AgentLink, BatchResult, IndexEntry, SyncOp } from '../../server/ports';

/**
 * A sync agent that keeps its tree in memory: what the daemon applied is in `files` (content) and
 * the index, and every request is counted. It answers at once; `breakLink` ends it as a broken
 * stream would (pending requests reject, `closed` resolves). The faulty agents (crashingAgent.ts,
 * hangingAgent.ts) build on it.
 */
export class MemoryAgent implements AgentLink {
  readonly root = '/fake/agent';
  readonly entries = new Map<string, IndexEntry>();
  readonly files = new Map<string, Buffer>();
  /** Each apply as the daemon sent it: the paths of its ops, in order. */
  readonly applied: string[][] = [];
  requests = 0;
  private closeReason: string | undefined;
  private resolveClosed!: (value: { reason: string }) => void;
  readonly closed = new Promise<{ reason: string }>((resolve) => (this.resolveClosed = resolve));

  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  async index(): Promise<IndexEntry[]> {
    this.requests++;
    this.throwIfClosed();
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  async apply(ops: SyncOp[]): Promise<BatchResult> {
    this.requests++;
    this.throwIfClosed();
    await this.beforeApply(ops);
    this.throwIfClosed();
    let bytes = 0;
    for (const op of ops) {
      switch (op.op) {
        case 'write': {
          const content = op.read ? await op.read() : await readAll(op.open());
          this.files.set(op.path, content);
          this.entries.set(op.path, { path: op.path, kind: 'file', size: content.length, mtimeMs: op.mtimeMs, mode: op.mode });
          bytes += content.length;
          break;
        }
        case 'mkdir':
          this.entries.set(op.path, { path: op.path, kind: 'dir', size: 0, mtimeMs: 0, mode: op.mode });
          break;
        case 'symlink':
          this.entries.set(op.path, { path: op.path, kind: 'symlink', size: 0, mtimeMs: 0, mode: 0o777, target: op.target });
          break;
        case 'delete':
          for (const p of [...this.entries.keys()]) if (p === op.path || p.startsWith(`${op.path}/`)) this.remove(p);
          break;
        case 'rename': {
          const entry = this.entries.get(op.from);
          if (entry) {
            this.entries.set(op.to, { ...entry, path: op.to });
            const content = this.files.get(op.from);
            if (content) this.files.set(op.to, content);
            this.remove(op.from);
          }
          break;
        }
        case 'chmod': {
          const entry = this.entries.get(op.path);
          if (entry) entry.mode = op.mode;
          break;
        }
      }
    }
    this.applied.push(ops.map((op) => (op.op === 'rename' ? op.to : op.path)));
    return { applied: ops.length, bytes, errors: [] };
  }

  async read(path: string): Promise<NodeJS.ReadableStream> {
    throw new Error(`MemoryAgent does not serve reads (${path}): it fakes one-way sync only.`);
  }

  onRemoteChange(): void {}

  close(): void {
    this.breakLink('The link was closed by the daemon.');
  }

  /** The stream broke: pending and later requests reject, `closed` resolves with `reason`. */
  breakLink(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.resolveClosed({ reason });
  }

  /** Called before each apply does anything; faulty agents override it. */
  protected async beforeApply(_ops: SyncOp[]): Promise<void> {}

  protected throwIfClosed(): void {
    if (this.closeReason !== undefined) throw new Error(`The sync agent link is closed: ${this.closeReason}`);
  }

  private remove(p: string): void {
    this.entries.delete(p);
    this.files.delete(p);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
