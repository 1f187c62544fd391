import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogLevel, LogTag, Logger } from './ports';

/**
 * Appends JSON lines to a file (0600, its directory 0700). Writes are synchronous: the log is
 * small and a crash must not lose the entries that explain it.
 */
export class FileLogger implements Logger {
  private readonly fd: number;

  constructor(
    readonly file: string,
    private readonly minLevel: LogLevel = 'info',
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  log(level: LogLevel, tag: LogTag, message: string, data?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[this.minLevel]) return;
    const entry = { time: new Date().toISOString(), pid: process.pid, level, tag, message, ...data };
    try {
      fs.writeSync(this.fd, JSON.stringify(entry) + '\n');
    } catch {
      // A full disk must not take the daemon down; the entry is lost.
    }
  }

  /** The file descriptor, so that a child's stderr can share the log. */
  get descriptor(): number {
    return this.fd;
  }
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
