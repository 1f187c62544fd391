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
export function startCommand(workDir: string, file: string, argv: string[]): string[] {
  const script = [
    `mkdir -p ${PID_DIR} || exit 126`,
    'cd "$1" || { echo "nhd run: cannot enter the work directory $1" >&2; exit 126; }',
    'f=$2; shift 2',
    'command -v setsid >/dev/null 2>&1 || { echo "nhd run: the dev image has no setsid (util-linux), which nhd needs to run the program in its own process group" >&2; exit 127; }',
    `setsid sh -c 'echo $$ > "$0"; exec "$@"' "$f" "$@" &`,
    'wait $!; rc=$?; rm -f "$f"; exit $rc',
  ].join('\n');
  return ['sh', '-c', script, 'nhd-run', workDir, file, ...argv];
}

/**
 * Ends the process groups whose ids are in `files` (or in every pid file, for `all`): SIGTERM,
 * then SIGKILL to what is left after `graceMs`, polling every 20 ms until no process of the groups
 * exists. Prints `killed` when SIGKILL was needed. A named pid file is waited for up to 2 s (its
 * program may have started a moment ago); a missing or stale one is not an error. The pid files
 * are removed. Only call it for a process whose exec has not ended, or the wait is wasted.
 */
export function stopCommand(files: string[] | 'all', graceMs: number): string[] {
  const polls = Math.max(1, Math.ceil(graceMs / 20));
  const script = [
    `n=$1; shift; w=40; [ "$1" = all ] && { w=0; set -- ${PID_DIR}/*.pid; }`,
    'gs=""',
    'for f in "$@"; do',
    // A program started a moment ago may not have written its pid file yet.
    '  t=0; while [ ! -s "$f" ] && [ $t -lt $w ]; do sleep 0.05; t=$((t+1)); done',
    '  [ -s "$f" ] || continue; g=$(cat "$f"); [ -n "$g" ] && kill -s TERM -- -"$g" 2>/dev/null && gs="$gs $g"',
    'done',
    'i=0',
    'while [ -n "$gs" ]; do',
    '  left=""; for g in $gs; do kill -s 0 -- -"$g" 2>/dev/null && left="$left $g"; done; gs=$left',
    '  [ -z "$gs" ] && break',
    '  i=$((i+1))',
    '  if [ $i -gt $n ]; then for g in $gs; do kill -s KILL -- -"$g" 2>/dev/null; done; echo killed; break; fi',
    '  sleep 0.02',
    'done',
    'rm -f "$@"',
  ].join('\n');
  return ['sh', '-c', script, 'nhd-stop', String(polls), ...(files === 'all' ? ['all'] : files)];
}
