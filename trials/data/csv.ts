/**
 * A small RFC 4180 reader: quoted fields (which may hold the delimiter, newlines and `""`-escaped quotes), LF or CRLF line
 * ends, a header row, an optional UTF-8 BOM. Fully empty lines are skipped (a trailing newline is not a row). Every record
 * must have as many fields as the header. Hand-written because the format is small and we want errors that name the data row
 * and line; d3-dsv (a vega-datasets dependency) would parse but silently accepts ragged rows.
 */
import { dataErrors } from './errors.js';

/** Parsed CSV: header names and string records, with the 1-based source line where each record starts. */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly lines: readonly number[];
}

/**
 * Parses CSV (or TSV with `delimiter: '\t'`) text. Called by `loadTabular` for .csv/.tsv files; `what` (the file path) goes
 * into error messages. Throws a DataError for an empty text (no header), a ragged row (names the data row, its line and both
 * field counts), a stray character after a closing quote, an unterminated quote, or a duplicate header name.
 */
export function parseCsv(text: string, opts: { delimiter?: string; what?: string } = {}): CsvTable {
  const delim = opts.delimiter ?? ',';
  const what = opts.what ?? 'the CSV text';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new Error(`delimiter must be one character other than a quote or line break, got ${JSON.stringify(delim)}`);
  }
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const len = text.length;
  while (i < len) {
    const startLine = line;
    // Skip a fully empty line (no fields at all, not even "").
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= len) {
            throw dataErrors.badCsv(what, records.length, startLine, 'a quoted field is never closed; add the closing quote');
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (i < len && next !== delim && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
          throw dataErrors.badCsv(
            what,
            records.length,
            startLine,
            `unexpected ${JSON.stringify(next)} after a closing quote; a quote inside a quoted field must be doubled ("")`,
          );
        }
      } else {
        const start = i;
        while (i < len && text[i] !== delim && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i < len && text[i] === delim) {
        i++;
        continue;
      }
      break;
    }
    if (i < len) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
    }
    records.push(fields);
    lines.push(startLine);
  }
  if (records.length === 0) throw dataErrors.noRows(what);
  const header = records[0]!;
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw dataErrors.duplicateColumn(what, h);
    seen.add(h);
  }
  const rows = records.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) throw dataErrors.raggedRow(what, k + 1, lines[k + 1]!, r.length, header.length);
  });
  return { header, rows, lines: lines.slice(1) };
}
