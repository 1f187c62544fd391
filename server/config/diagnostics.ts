// Small helpers over diagnostics.

import type { ConfigDiagnostic } from './types';

/** Orders diagnostics by position (stable), as a reader goes through the file. */
export function sortDiagnostics(diags: ConfigDiagnostic[]): void {
  diags.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
