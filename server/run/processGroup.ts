/**
 * The commands nhd execs in a dev container to run a program in its own process group and to end
 * that group. Closing an exec stream does not end the process in Kubernetes, so a stop is a second
 * exec that signals the group. Plain POSIX sh (dash, busybox ash, bash) plus `setsid`
 * (util-linux, in every Debian-based image; busybox has one too).
 */

/** Where the pid files live in the container: one per started process, `<runId>-<n>.pid`. */
export const PID_DIR = '/tmp/nhd-run';

/** A process's pid file: per start, so that an old process's cleanup never removes a new one's. */
export function pidFile(runId: string, generation: number): string {
  return `${PID_DIR}/${runId}-${generation}.pid`;
}

/**
 * Runs `argv` in `workDir` as the leader of a new session (hence of a new process group, whose id
 * is its pid), which writes that id to `pidFile` before it execs the program. The outer shell
 * waits for it, removes the pid file and exits with its status (128 + n after signal n), so the
 * exec's exit code is the program's.
 *
 * The program starts in the background of a shell without job control, so `setsid` never has to
 * fork (it is not a group leader) and the pid written is the group's; such a job has SIGINT and
 * SIGQUIT ignored and stdin on /dev/null, as `nohup`-style runners do. Stops use SIGTERM.
 */
export function startCommand(workDir: string, file: string, argv: string[], build: readonly string[] = []): string[] {
  // `build` (the dev config's command.build) runs first in the same group, so a stop ends it too;
  // it travels as one word of shell-quoted argv, which only that group's shell evaluates.
  const script = [
    `mkdir -p ${PID_DIR} || exit 126`,
    'cd "$1" || { echo "nhd run: cannot enter the work directory $1" >&2; exit 126; }',
    'f=$2; g=$3; b=$4; shift 4',
    'command -v setsid >/dev/null 2>&1 || { echo "nhd run: the dev image has no setsid (util-linux), which nhd needs to run the program in its own process group" >&2; exit 127; }',
    'setsid sh -c "$g" "$f" "$b" "$@" &',
    'wait $!; rc=$?; rm -f "$f"; exit $rc',
  ].join('\n');
  return ['sh', '-c', script, 'nhd-run', workDir, file, GROUP_SCRIPT, build.map(shellQuote).join(' '), ...argv];
}

/** The group leader: writes its pid, runs the build (if any; a failure ends the run with its status), execs the program. */
const GROUP_SCRIPT = [
  'echo $$ > "$0"; b=$1; shift',
  'if [ -n "$b" ]; then echo "nhd run: command.build: $b" >&2; eval "$b" || { rc=$?; echo "nhd run: command.build failed (exit $rc); the program was not started" >&2; exit $rc; }; fi',
  'exec "$@"',
].join('\n');

/** One word for POSIX sh, whatever it holds. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What a stop ends besides the process groups of its pid files (a debugger's leftovers). */
export interface StopExtras {
  /**
   * Also the process groups of every descendant of those groups' processes: delve starts the
   * program in a process group of its own, which SIGTERM to delve's group would miss.
   */
  tree?: boolean;
  /**
   * Also the process groups of whatever has a socket on this local TCP port (found through
   * /proc/net/tcp and /proc/PID/fd): debugpy's adapter daemonizes into a session of its own and
   * keeps the debug port.
   */
  port?: number;
}

/**
 * Ends the process groups whose ids are in `files` (or in every pid file, for `all`), and with
 * `extras` the groups of their descendants and of the holders of a port: SIGTERM, then SIGKILL to
 * what is left after `graceMs`, polling every 20 ms until no process of the groups exists. Prints
 * `killed` when SIGKILL was needed. A named pid file is waited for up to 2 s (its program may have
 * started a moment ago); a missing or stale one is not an error. The pid files are removed. The
 * groups of PID 1 (the container's keep-alive) and of the stop itself are never signalled. Only call
 * it for a process whose exec has not ended, or the wait is wasted. Needs `ps` (procps), `awk` and `find`
 * for the extras, as Debian-based images have.
 */
export function stopCommand(files: string[] | 'all', graceMs: number, extras: StopExtras = {}): string[] {
  const polls = Math.max(1, Math.ceil(graceMs / 20));
  const script = [
    `n=$1; tree=$2; port=$3; shift 3; w=40; [ "$1" = all ] && { w=0; set -- ${PID_DIR}/*.pid; }`,
    'gs=""',
    'for f in "$@"; do',
    // A program started a moment ago may not have written its pid file yet.
    '  t=0; while [ ! -s "$f" ] && [ $t -lt $w ]; do sleep 0.05; t=$((t+1)); done',
    '  [ -s "$f" ] || continue; g=$(cat "$f"); [ -n "$g" ] && gs="$gs $g"',
    'done',
    // The descendants' groups, found before any signal (a killed parent's children move to PID 1).
    'if [ "$tree" = 1 ] && [ -n "$gs" ]; then',
    '  gs="$gs $(ps -eo pid=,ppid=,pgid= | awk -v gs="$gs" \'BEGIN { k = split(gs, a, " "); for (i = 1; i <= k; i++) want[a[i]] = 1 }',
    '    { pp[$1] = $2; pg[$1] = $3; if ($3 in want) t[$1] = 1 }',
    '    END { c = 1; while (c) { c = 0; for (p in pp) if (!(p in t) && (pp[p] in t)) { t[p] = 1; c = 1 } } for (p in t) print pg[p] }\')"',
    'fi',
    // The groups of whatever has a socket on the port (LISTEN or a connection whose local end is it).
    'holders() {',
    '  hex=$(printf "%04X" "$port")',
    '  for i in $(awk -v h=":$hex" \'substr($2, length($2) - 4) == h && $10 != 0 { print $10 }\' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u); do',
    '    for fd in $(find /proc/[0-9]*/fd -lname "socket:\\[$i\\]" 2>/dev/null); do',
    '      p=${fd#/proc/}; p=${p%%/*}; ps -o pgid= -p "$p" 2>/dev/null | tr -d " "',
    '    done',
    '  done',
    '}',
    '[ "$port" != 0 ] && gs="$gs $(holders)"',
    // Never our own group, nor PID 1's (the keep-alive); each group once.
    'self=$(ps -o pgid= -p $$ 2>/dev/null | tr -d " "); init=$(ps -o pgid= -p 1 2>/dev/null | tr -d " ")',
    'all=""; for g in $gs; do case " $all " in *" $g "*) continue;; esac; [ "$g" = 0 ] || [ "$g" = 1 ] || [ "$g" = "$self" ] || [ "$g" = "$init" ] && continue; all="$all $g"; done',
    'gs=""; for g in $all; do kill -s TERM -- -"$g" 2>/dev/null && gs="$gs $g"; done',
    'i=0',
    'while [ -n "$gs" ]; do',
    '  left=""; for g in $gs; do kill -s 0 -- -"$g" 2>/dev/null && left="$left $g"; done; gs=$left',
    '  [ -z "$gs" ] && break',
    '  i=$((i+1))',
    '  if [ $i -gt $n ]; then for g in $gs; do kill -s KILL -- -"$g" 2>/dev/null; done; echo killed; break; fi',
    '  sleep 0.02',
    'done',
    // A holder that was still daemonizing when the groups were collected (debugpy's adapter starting
    // when the stop came) listens by now: it gets SIGKILL.
    'if [ "$port" != 0 ]; then sleep 0.1; for g in $(holders); do [ "$g" = 0 ] || [ "$g" = 1 ] || [ "$g" = "$self" ] || [ "$g" = "$init" ] || kill -s KILL -- -"$g" 2>/dev/null; done; fi',
    'rm -f "$@"',
  ].join('\n');
  return ['sh', '-c', script, 'nhd-stop', String(polls), extras.tree ? '1' : '0', String(extras.port ?? 0), ...(files === 'all' ? ['all'] : files)];
}
