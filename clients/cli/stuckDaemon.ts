import * as fs from 'node:fs';

/**
 * What to tell a person whose daemon does not answer: which process holds the socket (found
 * through /proc on Linux, where the kernel lists listening unix sockets with their inodes), whether
 * it is stopped, and what to do. The CLI never starts a second daemon over it: the stuck one would
 * keep the socket's name, and the person would have two daemons and no answer.
 */
export function stuckDaemonMessage(socketPath: string, what: string, logFile: string): string {
  const pid = listenerPid(socketPath);
  const who = pid === undefined ? '' : ` (pid ${pid})`;
  return `the nhd daemon at ${socketPath}${who} ${what}: ${advice(pid, logFile)}`;
}

function advice(pid: number | undefined, logFile: string): string {
  const newDaemon = 'the next nhd command then starts a new daemon';
  if (pid === undefined) {
    return `it may be stopped or stuck. Find it with \`ps -eo pid,stat,args | grep 'nhd serve'\` (stat T means stopped: \`kill -CONT PID\` resumes it), or end it with \`kill -KILL PID\`; ${newDaemon}. Its log: ${logFile}.`;
  }
  if (isStopped(pid)) {
    return `it is stopped (SIGSTOP, Ctrl-Z or a debugger). Resume it with \`kill -CONT ${pid}\`, or end it with \`kill -KILL ${pid}\`; ${newDaemon}.`;
  }
  return `it is busy or stuck. Try again (NHD_CONNECT_TIMEOUT=SECONDS waits longer), or end it with \`kill -KILL ${pid}\`; ${newDaemon}. Its log: ${logFile}.`;
}

/** The process holding the listening socket bound at `socketPath`; undefined when /proc cannot tell. */
function listenerPid(socketPath: string): number | undefined {
  const inode = listeningInode(socketPath);
  if (inode === undefined) return undefined;
  const link = `socket:[${inode}]`;
  for (const pid of readdir('/proc').filter((name) => /^\d+$/.test(name))) {
    for (const fd of readdir(`/proc/${pid}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return Number(pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return undefined;
}

/** /proc/net/unix: `Num RefCount Protocol Flags Type St Inode Path`; flag 0x10000 is a listener. */
function listeningInode(socketPath: string): string | undefined {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    // The path is the rest of the line, spaces included.
    const m = /^\s*\S+:\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+(\d+)\s(.*)$/.exec(line);
    if (m && m[3] === socketPath && (parseInt(m[1]!, 16) & 0x10000) !== 0) return m[2];
  }
  return undefined;
}

/** State T (stopped) or t (stopped by a tracer) in /proc/PID/stat, after the command's parenthesis. */
function isStopped(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
