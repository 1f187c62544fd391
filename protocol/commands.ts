/**
 * Every user action as a `workspace/executeCommand` command, so that a generic LSP client
 * (Neovim's, LSP4IJ, Emacs, Helix) can drive nhd without custom requests. A command's id is its
 * method with `/` turned into `.` and `nhd.` in front of the area; its single argument is the
 * method's params object, and its result is the method's result.
 */
export const Commands = {
  'nhd.status': 'nhd/status',
  'nhd.config.validate': 'nhd/config/validate',
  'nhd.config.load': 'nhd/config/load',
  'nhd.daemon.stop': 'nhd/daemon/stop',
} as const;

export type CommandId = keyof typeof Commands;
