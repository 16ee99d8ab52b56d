/**
 * Where JSON text first goes wrong, as a line and column a person can open in an editor. Node 20's JSON.parse gives a
 * position for some errors only ("Unexpected token 'x', ... is not valid JSON" has none) and pastes the text into its
 * message, so sweep files and stored sweep.json files are located here instead. The scanner is iterative: a corrupt file of
 * any depth cannot overflow the stack.
 */

/** The first syntax error of a JSON text: 0-based offset, 1-based line and column, and what was expected there. */
export interface JsonErrorLocation {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly detail: string;
}

const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function found(text: string, i: number): string {
  if (i >= text.length) return 'the end of the file';
  const c = text.codePointAt(i)!;
  return c < 0x20 ? `the control character U+${c.toString(16).padStart(4, '0')}` : JSON.stringify(String.fromCodePoint(c));
}

/** Offset of the first syntax error and what was expected, or undefined for valid JSON. */
function scan(text: string): { offset: number; expected: string } | undefined {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // JSON.parse rejects a BOM, but readers strip it: do not point at it
  const stack: ('{' | '[')[] = [];
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  /** Scans a string at i (which holds '"'); returns an error or undefined. */
  const string = (): { offset: number; expected: string } | undefined => {
    i++;
    for (;;) {
      if (i >= n) return { offset: i, expected: "a closing '\"'" };
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return { offset: i, expected: 'no raw control characters inside a string (escape them, e.g. \\n)' };
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { offset: i, expected: 'four hex digits after \\u' };
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) i += 2;
        else return { offset: i, expected: 'a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)' };
        continue;
      }
      i++;
    }
  };
  ws();
  for (;;) {
    // expecting a value at i
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else if (c === '{') {
        if (text[i] !== '"') return { offset: i, expected: 'a property name in double quotes' };
        const bad = string();
        if (bad) return bad;
        ws();
        if (text[i] !== ':') return { offset: i, expected: "':' after the property name" };
        i++;
        ws();
        continue;
      } else continue;
    } else if (c === '"') {
      const bad = string();
      if (bad) return bad;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      if (text.slice(i, i + word.length) !== word) return { offset: i, expected: 'a value' };
      i += word.length;
    } else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return { offset: i, expected: 'a value' };
      i = NUMBER.lastIndex;
      if (/[0-9.eE+-]/.test(text[i] ?? ''))
        return {
          offset: i,
          expected: stack.length ? `',' or '${stack[stack.length - 1] === '{' ? '}' : ']'}'` : 'the end of the file after the JSON value',
        };
    }
    // after a value: close containers or move to the next element
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? { offset: i, expected: 'the end of the file after the JSON value' } : undefined;
      const close = top === '{' ? '}' : ']';
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return { offset: i, expected: `',' or '${close}'` };
      i++;
      ws();
      if (top === '{') {
        if (text[i] !== '"') return { offset: i, expected: 'a property name in double quotes' };
        const bad = string();
        if (bad) return bad;
        ws();
        if (text[i] !== ':') return { offset: i, expected: "':' after the property name" };
        i++;
        ws();
      }
      break;
    }
  }
}

/**
 * Locates the first syntax error of `text` (which JSON.parse rejected). For valid JSON (a caller's mistake) it returns the
 * end of the text with detail 'no syntax error found'.
 */
export function locateJsonError(text: string): JsonErrorLocation {
  const err = scan(text);
  const offset = err ? err.offset : text.length;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  const detail = err ? `expected ${err.expected}, found ${found(text, offset)}` : 'no syntax error found';
  return { offset, line, column: offset - lineStart + 1, detail };
}
