import type { DevSession } from '../../protocol';
import { messageOf } from '../errors';
import { ensureClaims } from './clusterOps';
import { readyDevPod, waitForDevPod } from './devPods';
import { checkOwner } from './ownership';
import { SIDECAR_NAME, SIDECAR_ROOT } from './plan';
import { readConfigMapSource, resolveSettings, wantsSync } from './settings';
import type { Report, Step } from './steps';
import { need, notInDevMode, type DevModeStrategy, type EndRun, type StartRun } from './strategy';

/**
 * Dev start and dev end as named steps: the frame every dev mode shares, with the mode's own steps
 * in the middle. Read top to bottom, each list is the whole operation; a new concern of dev start
 * (a patch, a scheduling option, a check) is a new step here or in its mode, not an `if` in the
 * others.
 *
 * start: read workload → ownership → dev settings → open session → claims → (mode: plan dev spec →
 *        hold HPAs → backup+lock → apply dev spec) → wait for dev pod → port-forwards → sync
 * end:   read workload → ownership → stop sync → (mode: restore → release HPAs) → stop forwards
 */

const DEFAULT_TIMEOUT_SECONDS = 180;

export function startSteps(mode: DevModeStrategy): Step<StartRun>[] {
  return [
    {
      name: 'read workload',
      share: 2,
      async run(run) {
        run.state = await mode.readForStart(run.scope, run.params);
      },
    },
    {
      name: 'ownership',
      share: 1,
      async run(run) {
        const { owner } = need(run.state, 'state');
        const { identity, sessionId, now } = run.deps;
        checkOwner(run.params, owner, identity, run.params.force, 'start', now());
        // A repeated start by the holder keeps the time it began.
        run.me = { identity, session: sessionId, since: owner?.identity === identity ? owner.since : new Date(now()).toISOString() };
      },
    },
    {
      name: 'dev settings',
      share: 1,
      async run(run) {
        const { original } = need(run.state, 'state');
        const configMap = await readConfigMapSource(run.scope, original);
        const resolved = resolveSettings(run.params, original, run.deps.env, configMap.source);
        run.dev = resolved.dev;
        run.container = resolved.container;
        run.configWarnings = [...(configMap.warning ? [configMap.warning] : []), ...resolved.warnings];
        run.deps.sessions.remember(run.id, { ...run.params }, original, configMap.source);
      },
    },
    {
      name: 'open session',
      share: 1,
      async run(run) {
        const { scope, params } = run;
        const dev = need(run.dev, 'dev');
        run.session = {
          id: run.id,
          context: scope.context,
          namespace: scope.namespace,
          kind: params.kind,
          name: params.name,
          container: '',
          image: dev.image,
          workDir: dev.workDir,
          ...(params.localDir ? { localDir: params.localDir } : {}),
          state: 'starting',
          owner: need(run.me, 'me'),
          ...(run.configWarnings?.length ? { warnings: [...run.configWarnings] } : {}),
        };
        run.deps.sessions.update(run.session);
      },
    },
    {
      name: 'claims',
      share: 3,
      async run(run, report) {
        const wait = { timeoutSeconds: run.params.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, now: run.deps.now, signal: run.signal };
        run.claims = await ensureClaims(run.scope, run.params, need(run.dev, 'dev'), report, wait);
      },
    },
    ...mode.startSteps,
    {
      name: 'wait for dev pod',
      share: 45,
      async run(run, report) {
        const { scope, params } = run;
        const query = await mode.devPods(scope, params);
        const pod = await waitForDevPod(scope, params, query, need(run.plan, 'plan').devHash, params.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, report, run.signal);
        run.pod = pod;
        need(run.session, 'session').pod = pod;
      },
    },
    {
      name: 'port-forwards',
      share: 5,
      skip: (run) => need(run.dev, 'dev').portForward.length === 0,
      async run(run, report) {
        const pairs = need(run.dev, 'dev').portForward;
        report(`forwarding ${pairs.join(', ')}`);
        await warnOnFailure(run, report, (error) => `the config's port-forward ${pairs.join(', ')} did not start: ${messageOf(error)}`, async () => {
          await run.deps.portForwards.startFromConfig(run.scope, run.params, pairs);
        });
      },
    },
    {
      name: 'sync',
      share: 5,
      skip: (run) => !wantsSync(run.params) || !run.deps.sync,
      async run(run, report) {
        const { scope, params, deps } = run;
        const dev = need(run.dev, 'dev');
        const session = need(run.session, 'session');
        const localDir = need(params.localDir, 'localDir');
        report(`syncing ${localDir} to ${dev.workDir}`);
        await warnOnFailure(run, report, messageOf, async () => {
          const sync = await need(deps.sync, 'sync').start(
            {
              sessionId: run.id,
              scope,
              localDir,
              remoteDir: dev.workDir,
              settings: dev.sync,
              pod: need(run.pod, 'pod'),
              container: SIDECAR_NAME,
              agentRoot: SIDECAR_ROOT,
              findPod: () => currentDevPod(run),
            },
            (message) => report(message),
          );
          addWarnings(session, sync.warnings);
        });
      },
    },
  ];
}

export function endSteps(mode: DevModeStrategy): Step<EndRun>[] {
  return [
    {
      name: 'read workload',
      share: 10,
      async run(run) {
        run.state = await mode.readForEnd(run.scope, run.params);
      },
    },
    {
      name: 'ownership',
      share: 5,
      skip: notInDevMode,
      async run(run) {
        checkOwner(run.params, need(run.state, 'state').owner, run.deps.identity, run.params.force, 'end', run.deps.now());
      },
    },
    {
      name: 'stop sync',
      share: 15,
      skip: notInDevMode,
      async run(run) {
        const session = run.deps.sessions.get(run.id);
        if (session) run.deps.sessions.update({ ...session, state: 'ending' });
        await run.deps.sync?.stop(run.id);
      },
    },
    ...mode.endSteps,
    {
      name: 'stop forwards',
      share: 5,
      skip: notInDevMode,
      async run(run) {
        run.deps.portForwards.stopFor(run.scope, run.params);
      },
    },
  ];
}

/**
 * Runs what comes after the dev pod is ready: dev mode is up, so a failure (a taken local port, a
 * sync that cannot start) must not undo it. It becomes a warning on the session and in the
 * progress, and dev start goes on.
 */
async function warnOnFailure(run: StartRun, report: Report, warning: (error: unknown) => string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = warning(error);
    addWarnings(need(run.session, 'session'), [message]);
    report(message);
  }
}

function addWarnings(session: DevSession, warnings: string[]): void {
  if (warnings.length > 0) session.warnings = [...(session.warnings ?? []), ...warnings];
}

/** The session's ready dev pod now, recorded on the session when it changed (sync's findPod). */
async function currentDevPod(run: StartRun): Promise<string> {
  const { scope, params, deps } = run;
  const pod = await readyDevPod(scope, params, await run.mode.devPods(scope, params));
  const session = deps.sessions.get(run.id);
  if (session && session.pod !== pod) deps.sessions.update({ ...session, pod });
  return pod;
}

