// Staff files (RFC 4180 CSV as Excel writes it, JSON arrays, JSON Lines), read as a stream of raw
// rows with their line numbers; nothing here knows about accounts. Text is UTF-8, UTF-16 with its
// byte order mark, or in the encoding given; bytes that are none of these are refused, not replaced.
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';
import { MailsetupError, type Rule } from '../errors.js';
import { chooseDecoding, isUnicode, notInEncoding, notUtf8, Utf8Check, utf8Given, type Decoding } from './encoding.js';

export type StaffFormat = 'csv' | 'json' | 'jsonl';

export type StaffSource = ({ path: string } | { buffer: Buffer; name?: string }) & {
  format?: StaffFormat;
  /**
   * The file's text encoding when it is not UTF-8, as a WHATWG label (`windows-1251`, `koi8-r`):
   * the admin page's choice, `--encoding` on the command line. UTF-16 is known by its byte order mark.
   */
  encoding?: string | undefined;
};

/** One row as read: known columns only, values as text, or the reason the row could not be read. */
export interface RawRow {
  /** Line of the file where the row starts (for JSON arrays: the entry's position, from 1). */
  line: number;
  values: Partial<Record<StaffColumn, string>>;
  error?: { field: string; rule: Rule; message: string };
}

export type StaffColumn = 'email' | 'name' | 'login' | 'type' | 'device' | 'provider' | 'variant' | 'security' | 'language' | 'calendars';

/** Header spellings people use, compared without case, spaces, dashes or underscores. */
const HEADER_ALIASES: Record<string, StaffColumn> = {
  email: 'email',
  mail: 'email',
  emailaddress: 'email',
  address: 'email',
  name: 'name',
  fullname: 'name',
  displayname: 'name',
  realname: 'name',
  login: 'login',
  username: 'login',
  user: 'login',
  loginname: 'login',
  type: 'type',
  accounttype: 'type',
  kind: 'type',
  device: 'device',
  devicetype: 'device',
  provider: 'provider',
  variant: 'variant',
  region: 'variant',
  security: 'security',
  socket: 'security',
  language: 'language',
  lang: 'language',
  locale: 'language',
  calendars: 'calendars',
  calendar: 'calendars',
};

/** Columns that must never be in a staff file: the list travels by email and sits on disks. */
const REFUSED_HEADERS = new Set(['password', 'passwd', 'pass', 'secret']);

function headerKey(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

export interface StaffHeader {
  columns: (StaffColumn | undefined)[];
  /** Headers that are not staff columns; their values are ignored. */
  ignored: string[];
}

function mapHeader(headers: readonly string[]): StaffHeader {
  const columns: (StaffColumn | undefined)[] = [];
  const ignored: string[] = [];
  const seen = new Set<StaffColumn>();
  for (const header of headers) {
    const key = headerKey(header);
    if (REFUSED_HEADERS.has(key)) {
      throw new MailsetupError(
        'INVALID_INPUT',
        `staff file: column "${header}" is not accepted: staff files must not carry passwords (devices ask for them at install)`,
        {
          field: header,
          rule: 'no-passwords',
        },
      );
    }
    const column = HEADER_ALIASES[key];
    if (!column || seen.has(column)) {
      columns.push(undefined);
      if (header.trim() !== '') ignored.push(header.trim());
      continue;
    }
    seen.add(column);
    columns.push(column);
  }
  if (!seen.has('email')) {
    throw new MailsetupError('INVALID_INPUT', `staff file: no email column (found: ${headers.map((h) => `"${h}"`).join(', ') || 'nothing'})`, {
      field: 'email',
      rule: 'required-column',
    });
  }
  return { columns, ignored };
}

function quotedAware(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === delimiter) count++;
  }
  return count;
}

/** Excel writes `;` where the decimal separator is a comma: pick whichever the header line uses most. */
export function sniffDelimiter(head: string): string {
  const firstLine = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const candidates = [',', ';', '\t'];
  let best = ',';
  let bestCount = 0;
  for (const candidate of candidates) {
    const count = quotedAware(firstLine, candidate);
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

function staffFormatOf(source: StaffSource): StaffFormat {
  if (source.format) return source.format;
  const name = 'path' in source ? source.path : (source.name ?? '');
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'jsonl';
  if (/\.json$/i.test(name)) return 'json';
  if ('buffer' in source) {
    const start = headOf(source, 64)
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (start.startsWith('[')) return 'json';
    if (start.startsWith('{')) return 'jsonl';
  }
  return 'csv';
}

function headBytes(source: StaffSource, bytes: number): Buffer {
  if ('buffer' in source) return source.buffer.subarray(0, bytes);
  const fd = openSync(source.path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The start of the file as text (a character cut off at the end does not matter to sniffing). */
function headOf(source: StaffSource, bytes = 65536): string {
  return new TextDecoder(decodingOf(source).encoding).decode(headBytes(source, bytes));
}

/** Every byte of the file, a chunk at a time, without holding it whole. */
function eachChunk(source: StaffSource, visit: (chunk: Buffer) => void): void {
  if ('buffer' in source) return visit(source.buffer);
  const fd = openSync(source.path, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) visit(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
}

/** The raw bytes as a stream. */
function byteStream(source: StaffSource): Readable {
  return 'buffer' in source ? Readable.from([source.buffer]) : createReadStream(source.path, { highWaterMark: 256 * 1024 });
}

/** The text as a stream of UTF-8 bytes, whatever the file's encoding (the parsers read UTF-8). */
function streamOf(source: StaffSource): Readable {
  const { encoding } = decodingOf(source);
  if (encoding === 'utf-8') return byteStream(source);
  const decoder = new TextDecoder(encoding, { fatal: true });
  const transcode = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
  return byteStream(source).pipe(transcode);
}

const decodings = new WeakMap<StaffSource, Decoding>();

/** Bytes a single-byte code page has no character for; undefined for encodings of several bytes per character. */
function unmappedBytes(encoding: string): Set<number> | undefined {
  const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
  if (new TextDecoder(encoding).decode(high).length !== high.length) return undefined; // bytes combined into characters
  const unmapped = new Set<number>();
  for (const byte of high) {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(Uint8Array.of(byte));
    } catch {
      unmapped.add(byte);
    }
  }
  return unmapped;
}

/** The line (from 1) where a file stops being text in `encoding`, when that can be told cheaply. */
function failingLine(source: StaffSource, encoding: string): number | undefined {
  let line = 1;
  let found: number | undefined;
  if (encoding.startsWith('utf-16')) {
    // UTF-16 fails only on a surrogate without its partner (or an odd last byte).
    const le = encoding === 'utf-16le';
    let odd: number | undefined;
    let high = false;
    eachChunk(source, (chunk) => {
      for (let i = 0; i < chunk.length && found === undefined; i++) {
        if (odd === undefined) {
          odd = chunk[i]!;
          continue;
        }
        const unit = le ? odd | (chunk[i]! << 8) : (odd << 8) | chunk[i]!;
        odd = undefined;
        const isHigh = unit >= 0xd800 && unit <= 0xdbff;
        const isLow = unit >= 0xdc00 && unit <= 0xdfff;
        if ((high && !isLow) || (!high && isLow)) found = line;
        high = isHigh;
        if (unit === 0x0a) line++;
      }
    });
    return found ?? line;
  }
  const unmapped = unmappedBytes(encoding);
  if (!unmapped) return undefined;
  eachChunk(source, (chunk) => {
    for (let i = 0; i < chunk.length && found === undefined; i++) {
      if (unmapped.has(chunk[i]!)) found = line;
      else if (chunk[i] === 0x0a) line++;
    }
  });
  return found;
}

/**
 * How the file is to be decoded, checked over the whole file before any row is read (so a bad byte
 * on the last line refuses the file before anything is written). `field` names the choice in errors.
 */
function decodingOf(source: StaffSource, field = 'encoding'): Decoding {
  const known = decodings.get(source);
  if (known) return known;
  const decoding = chooseDecoding(headBytes(source, 4), source.encoding, field);
  if (decoding.encoding === 'utf-8' || !isUnicode(decoding.encoding)) {
    const check = new Utf8Check();
    let bad: ReturnType<Utf8Check['push']>;
    eachChunk(source, (chunk) => {
      bad ??= check.push(chunk);
    });
    bad ??= check.end();
    if (decoding.encoding === 'utf-8' && bad) throw notUtf8(bad, headBytes(source, 1024 * 1024), field);
    // Text in a code page is almost never valid UTF-8 with letters beyond ASCII; UTF-8 read as a code page would be mangled.
    if (decoding.encoding !== 'utf-8' && !bad && check.nonAscii) throw utf8Given(decoding.encoding, field);
  }
  if (decoding.encoding !== 'utf-8') {
    const decoder = new TextDecoder(decoding.encoding, { fatal: true });
    try {
      eachChunk(source, (chunk) => void decoder.decode(chunk, { stream: true }));
      decoder.decode();
    } catch {
      throw notInEncoding(decoding.encoding, failingLine(source, decoding.encoding), field);
    }
  }
  decodings.set(source, decoding);
  return decoding;
}

/** Throws an IO error naming the file when a staff file cannot be read. */
export function checkReadable(source: StaffSource): void {
  if ('buffer' in source) return;
  try {
    if (!statSync(source.path).isFile()) throw new Error('not a file');
  } catch {
    throw new MailsetupError('IO', `staff file ${source.path} cannot be read`, { field: 'staff-file', rule: 'readable' });
  }
}

/**
 * Checks that the staff file can be read and is text in its encoding, before anything is written;
 * `field` is what the person set the encoding with (`--encoding`, or the admin page's `encoding`).
 */
export function checkStaffFile(source: StaffSource, field = 'encoding'): Decoding {
  checkReadable(source);
  return decodingOf(source, field);
}

function valuesFrom(record: readonly unknown[], header: StaffHeader): RawRow['values'] {
  const values: RawRow['values'] = {};
  header.columns.forEach((column, index) => {
    const value = record[index];
    if (column && typeof value === 'string' && value.trim() !== '') values[column] = value.trim();
  });
  return values;
}

const NEWLINE = /\r\n|\r|\n/g;

interface ParsedRecord {
  record: string[];
  line: number;
  /** Rows skipped for broken CSV since the previous record, in file order. */
  skipped: RawRow[];
}

async function* readCsv(source: StaffSource, onHeader: (header: StaffHeader) => void): AsyncGenerator<RawRow> {
  const delimiter = sniffDelimiter(headOf(source));
  // Line numbers are counted here: csv-parse counts a CRLF inside a quoted value as two lines.
  // Its callbacks run in file order, so records and skipped rows are numbered as they come.
  let lastEnd = 0;
  let drift = 0;
  let lastSkipAt = -1;
  let skipped: RawRow[] = [];
  const parser = streamOf(source).pipe(
    parse({
      // on_record returns our own object, which the typings do not foresee.
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: false,
      skip_records_with_error: true,
      on_skip: (error: CsvError | undefined): undefined => {
        if (!error) return;
        const reported = (error as CsvError & { lines?: number }).lines ?? lastEnd + drift + 1;
        if (reported === lastSkipAt) return; // one broken row can raise several errors
        lastSkipAt = reported;
        const notClosed = error.code === 'CSV_QUOTE_NOT_CLOSED';
        const line = notClosed ? lastEnd + 1 : reported - drift;
        lastEnd = Math.max(lastEnd, line);
        skipped.push({
          line,
          values: {},
          error: {
            field: 'row',
            rule: 'csv-syntax',
            message: notClosed
              ? 'a quote opened on this line is never closed; the rest of the file could not be read'
              : `not valid CSV (${error.message.replace(/ at line \d+.*$/s, '')})`,
          },
        });
      },
      on_record: (record: string[], context: InfoRecord): ParsedRecord => {
        const line = lastEnd + 1;
        lastEnd = line + record.reduce((sum, field) => sum + (field.match(NEWLINE)?.length ?? 0), 0);
        drift = context.lines - lastEnd;
        const before = skipped;
        skipped = [];
        return { record, line, skipped: before };
      },
    } as unknown as Options),
  );
  let header: StaffHeader | undefined;
  for await (const { record, line, skipped: before } of parser as AsyncIterable<ParsedRecord>) {
    yield* before;
    if (record.every((field) => field.trim() === '')) continue; // blank lines, or only separators
    if (!header) {
      header = mapHeader(record);
      onHeader(header);
      continue;
    }
    if (record.length > header.columns.length) {
      yield {
        line,
        values: valuesFrom(record, header),
        error: {
          field: 'row',
          rule: 'column-count',
          message: `has ${record.length} fields but the header has ${header.columns.length} (a separator inside an unquoted value?)`,
        },
      };
      continue;
    }
    yield { line, values: valuesFrom(record, header) };
  }
  yield* skipped;
  if (!header)
    throw new MailsetupError('INVALID_INPUT', 'staff file: empty (a header line with an email column is needed)', { field: 'staff-file', rule: 'required' });
}

function jsonRow(value: unknown, line: number, header: (keys: string[]) => StaffHeader): RawRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, values: {}, error: { field: 'row', rule: 'type', message: 'is not an object with an email field' } };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const mapped = header(entries.map(([key]) => key));
  const record = entries.map(([, v]) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined));
  return { line, values: valuesFrom(record, mapped) };
}

async function* readJson(source: StaffSource, format: 'json' | 'jsonl', onHeader: (header: StaffHeader) => void): AsyncGenerator<RawRow> {
  const ignored = new Set<string>();
  const header = (keys: string[]): StaffHeader => {
    const refused = keys.find((k) => REFUSED_HEADERS.has(headerKey(k)));
    if (refused) mapHeader([refused, 'email']);
    const columns = keys.map((k) => HEADER_ALIASES[headerKey(k)]);
    keys.forEach((k, i) => columns[i] === undefined && ignored.add(k));
    return { columns, ignored: [...ignored] };
  };
  if (format === 'json') {
    // A JSON array is read whole; lists too large for memory belong in CSV or JSON Lines.
    const text = await streamText(streamOf(source));
    let data: unknown;
    try {
      data = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new MailsetupError('INVALID_INPUT', `staff file: not valid JSON (${(error as Error).message})`, { field: 'staff-file', rule: 'json-syntax' });
    }
    const list = Array.isArray(data)
      ? data
      : data && typeof data === 'object' && Array.isArray((data as { staff?: unknown }).staff)
        ? (data as { staff: unknown[] }).staff
        : undefined;
    if (!list)
      throw new MailsetupError('INVALID_INPUT', 'staff file: JSON must be an array of people (or {"staff": [...]})', {
        field: 'staff-file',
        rule: 'json-array',
      });
    for (const [index, value] of list.entries()) yield jsonRow(value, index + 1, header);
  } else {
    const lines = createInterface({ input: streamOf(source), crlfDelay: Infinity });
    let number = 0;
    for await (const text of lines) {
      number++;
      const trimmed = (number === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
      if (trimmed === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        yield { line: number, values: {}, error: { field: 'row', rule: 'json-syntax', message: 'is not valid JSON' } };
        continue;
      }
      yield jsonRow(value, number, header);
    }
  }
  onHeader({ columns: [], ignored: [...ignored] });
}

async function streamText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Rows of a staff file in order. `onHeader` hears which headers were ignored. */
export function readStaff(source: StaffSource, onHeader: (header: StaffHeader) => void = () => {}): AsyncGenerator<RawRow> {
  checkStaffFile(source);
  const format = staffFormatOf(source);
  return format === 'csv' ? readCsv(source, onHeader) : readJson(source, format, onHeader);
}

/** Roughly how many rows a file holds (line count), for progress display. */
export async function estimateRows(source: StaffSource): Promise<number | undefined> {
  const format = staffFormatOf(source);
  if (format === 'json') return undefined;
  let count = 0;
  for await (const chunk of byteStream(source)) {
    const buffer = chunk as Buffer;
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) count++;
  }
  return Math.max(0, format === 'csv' ? count - 1 : count);
}
