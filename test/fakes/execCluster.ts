import type { Cluster, ExecProcess, ExecStreams } from '../../server/ports';

/** What a command exec'd in the fake container is, told by its argv (server/run/processGroup.ts, the debug probe). */
export type ExecKind = 'start' | 'stop' | 'probe' | 'other';

/** A program the run service started in the fake container (`setsid` under `sh -c`, its own pid file). */
export class FakeProgram {
  private resolveExit!: (code: number | null) => void;
  readonly exited = new Promise<number | null>((resolve) => (this.resolveExit = resolve));
  ended = false;

  constructor(
    readonly argv: string[],
    readonly pidFile: string,
    private readonly streams: ExecStreams,
    /** Ignores SIGTERM: a stop needs SIGKILL. */
    readonly stubborn: boolean,
  ) {}

  /** The program writes to its stdout or stderr. */
  write(stream: 'stdout' | 'stderr', data: Buffer | string): void {
    const out = stream === 'stdout' ? this.streams.stdout : this.streams.stderr;
    out?.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  /** Ends with an exit code, or null: the exec stream broke without a status (the pod went away). */
  exit(code: number | null): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveExit(code);
  }
}

/**
 * A Cluster with one container that can exec, for unit tests of the services that run commands:
 * it understands the run service's start and stop scripts (a started program is a FakeProgram the
 * test drives; a stop ends the programs of its pid files with 143, or 137 and `killed` when they are
 * stubborn), and the debug service's /proc/net/tcp probe (`listening` holds the ports it reports).
 * Faults: `failExec(kind, error)` makes execs of that kind reject (the API server is unreachable),
 * `breakExec(kind)` makes them end without a status and print nothing (the stream died mid-run),
 * `probeExit` makes the probe exit with a code and a message on stderr (no awk in the image).
 * Everything but exec throws: the fake is only what these tests need.
 */
export class ExecCluster implements Cluster {
  readonly execs: { kind: ExecKind; pod: string; container: string; command: string[] }[] = [];
  readonly programs: FakeProgram[] = [];
  readonly listening = new Set<number>();
  /** The next started programs ignore SIGTERM. */
  stubborn = false;
  probeExit: { code: number; stderr: string } | undefined;
  private readonly failing = new Map<ExecKind, { error: () => Error; times: number }>();
  private readonly breaking = new Map<ExecKind, number>();
  /** Called with each new program, so a test can make it print or exit at once. */
  onStart: (program: FakeProgram) => void = () => {};

  /** Execs of `kind` reject with `error`, `times` times (default: always). */
  failExec(kind: ExecKind, error: () => Error, times = Infinity): void {
    this.failing.set(kind, { error, times });
  }

  /** Execs of `kind` end without an exit status, having printed nothing, `times` times. */
  breakExec(kind: ExecKind, times = Infinity): void {
    this.breaking.set(kind, times);
  }

  count(kind: ExecKind): number {
    return this.execs.filter((e) => e.kind === kind).length;
  }

  /** Programs started and not ended. */
  get running(): FakeProgram[] {
    return this.programs.filter((p) => !p.ended);
  }

  async exec(_context: string, _namespace: string, pod: string, container: string, command: string[], streams: ExecStreams): Promise<ExecProcess> {
    const kind = kindOf(command);
    this.execs.push({ kind, pod, container, command });
    const failure = this.failing.get(kind);
    if (failure && failure.times > 0) {
      failure.times--;
      throw failure.error();
    }
    const breaks = this.breaking.get(kind) ?? 0;
    if (breaks > 0) {
      this.breaking.set(kind, breaks - 1);
      return finished(null);
    }
    switch (kind) {
      case 'start': {
        // ['sh', '-c', script, 'nhd-run', workDir, pidFile, groupScript, build, ...argv]
        const program = new FakeProgram(command.slice(8), command[5]!, streams, this.stubborn);
        this.programs.push(program);
        this.onStart(program);
        return { exited: program.exited, resize() {}, close() {} };
      }
      case 'stop': {
        // ['sh', '-c', script, 'nhd-stop', polls, tree, port, ...files | 'all']
        const files = command.slice(7);
        const targets = this.running.filter((p) => files[0] === 'all' || files.includes(p.pidFile));
        const killed = targets.some((p) => p.stubborn);
        for (const p of targets) p.exit(p.stubborn ? 137 : 143);
        if (killed) streams.stdout.write(Buffer.from('killed\n'));
        return finished(0);
      }
      case 'probe': {
        if (this.probeExit) {
          streams.stderr?.write(Buffer.from(this.probeExit.stderr));
          return finished(this.probeExit.code);
        }
        const hex = /":([0-9A-F]{4})"/.exec(command[2] ?? '')?.[1];
        const port = hex ? parseInt(hex, 16) : -1;
        streams.stdout.write(Buffer.from(this.listening.has(port) ? 'yes\n' : 'no\n'));
        return finished(0);
      }
      default:
        return finished(0);
    }
  }

  config(): never {
    return unsupported('config');
  }
  defaultNamespace(): never {
    return unsupported('defaultNamespace');
  }
  namespaces(): never {
    return unsupported('namespaces');
  }
  get(): never {
    return unsupported('get');
  }
  list(): never {
    return unsupported('list');
  }
  create(): never {
    return unsupported('create');
  }
  replace(): never {
    return unsupported('replace');
  }
  mergePatch(): never {
    return unsupported('mergePatch');
  }
  patch(): never {
    return unsupported('patch');
  }
  delete(): never {
    return unsupported('delete');
  }
  apply(): never {
    return unsupported('apply');
  }
  watch(): never {
    return unsupported('watch');
  }
  portForward(): never {
    return unsupported('portForward');
  }
  logs(): never {
    return unsupported('logs');
  }
}

function kindOf(command: string[]): ExecKind {
  if (command[3] === 'nhd-run') return 'start';
  if (command[3] === 'nhd-stop') return 'stop';
  if (command[0] === 'sh' && command[2]?.includes('/proc/net/tcp')) return 'probe';
  return 'other';
}

function finished(code: number | null): ExecProcess {
  // Settles after the output written so far has been delivered, as the real stream does.
  return { exited: new Promise((resolve) => setImmediate(() => resolve(code))), resize() {}, close() {} };
}

function unsupported(what: string): never {
  throw new Error(`ExecCluster fakes exec only; ${what} was called`);
}
