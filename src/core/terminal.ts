/**
 * Text that reaches a terminal from user-controlled data (study names, parameter values, error messages, pruning reasons) goes
 * through {@link escapeControl}: escape sequences could recolour or rewrite the screen, and a newline could forge a row of a
 * table. Control characters (C0, DEL, C1, and the Unicode line/paragraph separators and bidi overrides) become visible escapes.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: { readonly [c: string]: string } = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** `s` with every control character shown as an escape (`\n`, `\e`, `\u2028`...); printable text is unchanged. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A writer of lines to a stream that may close under us (`| head`): after EPIPE further lines are dropped, never thrown. */
export interface LineWriter {
  (line: string): void;
  /** True once the reader went away. */
  readonly closed: boolean;
}

/** Lines to `stream` (default stdout), surviving a closed pipe. */
export function safeLines(stream: NodeJS.WriteStream = process.stdout): LineWriter {
  const state = { closed: false };
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') state.closed = true;
  });
  const write = (line: string): void => {
    if (state.closed || stream.destroyed) return;
    try {
      stream.write(`${line}\n`);
    } catch {
      state.closed = true;
    }
  };
  return Object.defineProperty(write, 'closed', { get: () => state.closed }) as LineWriter;
}

/** A text sink over `stream` that survives a closed pipe (writes after EPIPE are dropped), keeping isTTY and columns. */
export function safeSink(stream: NodeJS.WriteStream = process.stdout): {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
} {
  const lines = safeLines(stream);
  return {
    write: (text: string) => {
      if (lines.closed || stream.destroyed) return;
      try {
        stream.write(text);
      } catch {
        // the reader went away: a closed stdout never stops a sweep
      }
    },
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns;
    },
  };
}
