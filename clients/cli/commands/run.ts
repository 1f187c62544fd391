import {
  RunDidChangeNotification,
  RunOutputNotification,
  RunStartRequest,
  RunStopRequest,
  type RunDidChangeParams,
  type RunInfo,
  type RunReload,
  type RunStartParams,
} from '../../../protocol';
import { DaemonClient } from '../daemonClient';
import { formatDuration } from '../output';
import { outputFollower } from '../outputFollower';
import { UsageError, parse, scopeFrom, scopeOptions } from '../usage';
import { parseWorkloadArg } from './workloadArg';

/** The exit code after Ctrl-C, as shells report a process ended by SIGINT. */
const SIGINT_EXIT = 130;

/**
 * `nhd run KIND/NAME [-n NS] [--context C] [--hot-reload] [--json]`: runs the dev config's
 * command.run in the workload's dev container and streams its output (stdout to stdout, stderr to
 * stderr). Without hot reload it exits with the program's exit code; with it, each sync batch
 * restarts the program (a line per reload on stderr) and it runs until Ctrl-C. Ctrl-C stops the
 * program's whole process group in the container and exits 130; a second Ctrl-C exits at once
 * (the daemon still ends the run, since its client left). With --json every event is one JSON
 * object per line on stdout: `started`, `output`, `didChange`, `stopped`.
 */
export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...scopeOptions, 'hot-reload': { type: 'boolean' }, json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError('nhd run takes one KIND/NAME');
  const params: RunStartParams = { ...parseWorkloadArg(positionals[0]), ...scopeFrom(values) };
  if (values['hot-reload']) params.hotReload = true;
  const json = values.json === true;
  const event = (value: object) => process.stdout.write(JSON.stringify(value) + '\n');
  const say = (line: string) => process.stderr.write(`nhd: ${line}\n`);

  const client = await DaemonClient.connect();
  let runId: string | undefined;
  let stopping = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const output = outputFollower(
    () => runId,
    json ? { kind: 'json', event } : { kind: 'plain', write: (stream, bytes) => (stream === 'stderr' ? process.stderr : process.stdout).write(bytes) },
  );
  // The daemon sends a run's notifications only after the start answer, so the id is known here.
  client.connection.onNotification(RunOutputNotification.type, output.push);
  client.connection.onNotification(RunDidChangeNotification.type, (p: RunDidChangeParams) => {
    if (p.run.runId !== runId) return;
    if (json) event({ event: 'didChange', ...p });
    else describeChange(p, say);
    if (p.run.ended && !stopping) finish(p.run.exitCode ?? 1);
  });
  client.connection.onClose(() => {
    say('lost the connection to the nhd daemon; the run ends with it.');
    finish(1);
  });

  const onSigint = () => {
    if (stopping || runId === undefined) {
      // Second Ctrl-C, or one before the run exists (the start request is cancelled then).
      if (runId !== undefined) finish(SIGINT_EXIT);
      return;
    }
    stopping = true;
    if (!json) say('stopping (Ctrl-C again to leave at once)');
    client.connection.sendRequest(RunStopRequest.type, { runId }).then(
      (last: RunInfo) => {
        if (json) event({ event: 'stopped', run: last });
        finish(SIGINT_EXIT);
      },
      () => finish(SIGINT_EXIT),
    );
  };
  try {
    const started = await client.request(RunStartRequest.type, params);
    runId = started.runId;
    process.on('SIGINT', onSigint);
    if (json) event({ event: 'started', run: started });
    else say(`running ${started.command.join(' ')} in ${started.kind}/${started.name} (pod ${started.pod}, ${started.workDir})${started.hotReload ? ', hot reload on' : ''}; Ctrl-C stops it`);
    return await finished;
  } finally {
    process.off('SIGINT', onSigint);
    output.end();
    await client.close();
  }
}

/** One line on stderr per change a person cares about. */
function describeChange(p: RunDidChangeParams, say: (line: string) => void): void {
  const { run } = p;
  if (p.reload) say(`reloaded: ${formatReload(p.reload)}`);
  else if (run.state === 'restarting') say('change synced, restarting');
  else if (run.state === 'exited') {
    const how = run.exitCode === null || run.exitCode === undefined ? 'without an exit status' : `with code ${run.exitCode}`;
    const why = run.message ? ` (${run.message})` : '';
    if (run.ended) say(`the program exited ${how}${why}`);
    else say(`the program exited ${how}${why}; the next change starts it again (Ctrl-C to quit)`);
  }
}

/** "2 files (1.2 kB) synced in 40ms, stopped in 120ms, started in 80ms". */
export function formatReload(r: RunReload): string {
  const size = r.bytes < 1024 ? `${r.bytes} B` : `${(r.bytes / 1024).toFixed(1)} kB`;
  const what = r.trigger === 'resync' ? 're-synced' : 'synced';
  return `${r.files} file${r.files === 1 ? '' : 's'} (${size}) ${what} in ${formatDuration(r.syncMs)}, stopped in ${formatDuration(r.stopMs)}, started in ${formatDuration(r.startMs)}`;
}
