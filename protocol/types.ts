/** A version string `MAJOR.MINOR.PATCH`. */
export type ProtocolVersionString = string;

/** A position in a text document: zero-based line and UTF-16 character offset, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

/** A range in a text document, end exclusive, as in LSP. */
export interface Range {
  start: Position;
  end: Position;
}

/** Parameters that may carry a work-done progress token (LSP's WorkDoneProgressParams). */
export interface WorkDoneParams {
  /** A token the client made; the daemon reports `$/progress` for this request under it. */
  workDoneToken?: string | number;
}
