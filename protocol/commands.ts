/**
 * The `workspace/executeCommand` twin of each `nhd/` request, so that a generic LSP client
 * (Neovim's, LSP4IJ, Emacs, Helix) can drive nhd without custom requests. A command's id is its
 * method with `/` turned into `.`; its single argument is the method's params object, and its
 * result is the method's result. The daemon lists in `executeCommandProvider` the commands whose
 * method it serves. This table is the only source of command ids.
 */
export const Commands = {
  'nhd.status': 'nhd/status',
  'nhd.config.validate': 'nhd/config/validate',
  'nhd.config.load': 'nhd/config/load',
  'nhd.daemon.stop': 'nhd/daemon/stop',
  'nhd.kube.contexts': 'nhd/kube/contexts',
  'nhd.kube.namespaces': 'nhd/kube/namespaces',
  'nhd.workloads.list': 'nhd/workloads/list',
  'nhd.workloads.watch': 'nhd/workloads/watch',
  'nhd.workloads.unwatch': 'nhd/workloads/unwatch',
  'nhd.dev.start': 'nhd/dev/start',
  'nhd.dev.end': 'nhd/dev/end',
  'nhd.dev.status': 'nhd/dev/status',
  'nhd.sync.status': 'nhd/sync/status',
  'nhd.sync.resync': 'nhd/sync/resync',
  'nhd.portForward.start': 'nhd/portForward/start',
  'nhd.portForward.list': 'nhd/portForward/list',
  'nhd.portForward.stop': 'nhd/portForward/stop',
  'nhd.terminal.open': 'nhd/terminal/open',
  'nhd.terminal.close': 'nhd/terminal/close',
  'nhd.logs.stream': 'nhd/logs/stream',
  'nhd.run.start': 'nhd/run/start',
  'nhd.run.stop': 'nhd/run/stop',
  'nhd.run.list': 'nhd/run/list',
  'nhd.debug.listen': 'nhd/debug/listen',
  'nhd.debug.start': 'nhd/debug/start',
  'nhd.app.install': 'nhd/app/install',
  'nhd.app.uninstall': 'nhd/app/uninstall',
  /** Served only with NHD_TEST_HOOKS=1. */
  'nhd.test.sleep': 'nhd/test/sleep',
} as const;

export type CommandId = keyof typeof Commands;
