// ZIP archive writer (PKWARE APPNOTE 6.3.10: local headers, deflate, central directory, UTF-8 names, ZIP64).
//
// One writer serves both uses: `buildZip` makes a small setup pack in one synchronous pass (format
// builders return a file, not a promise), and `ZipStreamWriter` hands each entry's bytes to a sink
// as soon as it is added, keeping only its central directory record, so a bulk archive of 100,000
// profiles costs a few megabytes of memory. Timestamps default to the DOS epoch so the same input
// always gives the same bytes.
import * as zlib from 'node:zlib';
import { deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  name: string;
  data: Buffer;
}

// zlib's own CRC-32 (Node 20.15+) runs about 60 times faster than a table in JavaScript, which
// matters for a 400 MB bulk archive; the table remains for older Node 20 releases.
const nativeCrc32 = (zlib as { crc32?: (data: Buffer) => number }).crc32;
let crcTable: Uint32Array | undefined;

export function crc32(data: Buffer): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  const table = (crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const VERSION_DEFAULT = 20; // 2.0: deflate, folders
const VERSION_ZIP64 = 45; // 4.5: ZIP64 extensions
const MADE_BY_UNIX = 3 << 8; // upper byte of "version made by": external attributes hold a Unix mode
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const STORE = 0;
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;
const DOS_EPOCH = { time: 0, date: (0 << 9) | (1 << 5) | 1 }; // 1980-01-01 00:00:00

function checkName(name: string): void {
  if (
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').some((part) => part === '..' || part === '') ||
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    /[\u0000-\u001f]/.test(name)
  ) {
    throw new RangeError(`not a safe archive path: ${JSON.stringify(name)}`);
  }
}

/** MS-DOS date and time (APPNOTE 4.4.6), in local time as archivers read it; two-second steps. */
function dosDateTime(mtime: Date | undefined): { time: number; date: number } {
  if (!mtime || mtime.getFullYear() < 1980) return DOS_EPOCH;
  const year = Math.min(mtime.getFullYear(), 2107) - 1980;
  return {
    time: (mtime.getHours() << 11) | (mtime.getMinutes() << 5) | (mtime.getSeconds() >> 1),
    date: (year << 9) | ((mtime.getMonth() + 1) << 5) | mtime.getDate(),
  };
}

/** What the local header and the central directory record say about one entry. */
interface EntryFields {
  name: Buffer;
  method: number;
  dos: { time: number; date: number };
  crc: number;
  compressedSize: number;
  size: number;
  /** Where the local header starts; only the central directory record carries it. */
  offset: number;
  /** Unix mode for the external attributes; none gives the plain MS-DOS record. */
  mode: number | undefined;
}

/**
 * Writes a local header (APPNOTE 4.3.7) or central directory record (4.3.12). From "version needed"
 * to "extra field length" the two share their fields, at offset 4 in the local header and 6 in the
 * central record. Values too large for 32 bits go into a ZIP64 extra field (4.5.3) and read
 * 0xFFFFFFFF in place; the local header's extra then holds both sizes, as the format requires.
 */
function entryHeader(kind: 'local' | 'central', entry: EntryFields): Buffer {
  const central = kind === 'central';
  const sizesTooLarge = entry.size >= MAX_32 || entry.compressedSize >= MAX_32;
  const zip64: number[] = [];
  if (central) {
    if (entry.size >= MAX_32) zip64.push(entry.size);
    if (entry.compressedSize >= MAX_32) zip64.push(entry.compressedSize);
    if (entry.offset >= MAX_32) zip64.push(entry.offset);
  } else if (sizesTooLarge) {
    zip64.push(entry.size, entry.compressedSize);
  }
  const extraLength = zip64.length > 0 ? 4 + 8 * zip64.length : 0;
  const fixed = central ? 46 : 30;
  const header = Buffer.alloc(fixed + entry.name.length + extraLength);
  header.writeUInt32LE(central ? CENTRAL_HEADER : LOCAL_HEADER, 0);
  let at = 4;
  if (central) {
    header.writeUInt16LE(entry.mode === undefined ? VERSION_DEFAULT : MADE_BY_UNIX | VERSION_DEFAULT, at);
    at += 2;
  }
  header.writeUInt16LE(zip64.length > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, at);
  header.writeUInt16LE(UTF8_NAMES, at + 2);
  header.writeUInt16LE(entry.method, at + 4);
  header.writeUInt16LE(entry.dos.time, at + 6);
  header.writeUInt16LE(entry.dos.date, at + 8);
  header.writeUInt32LE(entry.crc, at + 10);
  header.writeUInt32LE(Math.min(entry.compressedSize, MAX_32), at + 14);
  header.writeUInt32LE(Math.min(entry.size, MAX_32), at + 18);
  header.writeUInt16LE(entry.name.length, at + 22);
  header.writeUInt16LE(extraLength, at + 24);
  if (central) {
    // comment length, disk number start and internal attributes stay zero
    header.writeUInt32LE(entry.mode === undefined ? 0 : (entry.mode << 16) >>> 0, 38);
    header.writeUInt32LE(Math.min(entry.offset, MAX_32), 42);
  }
  entry.name.copy(header, fixed);
  if (extraLength > 0) {
    const field = fixed + entry.name.length;
    header.writeUInt16LE(ZIP64_EXTRA, field);
    header.writeUInt16LE(extraLength - 4, field + 2);
    zip64.forEach((value, index) => header.writeBigUInt64LE(BigInt(value), field + 4 + 8 * index));
  }
  return header;
}

/**
 * End of central directory (4.3.16), preceded when needed by the ZIP64 end record (4.3.14) and its
 * locator (4.3.15): from 65,535 entries on, or when the directory lies or reaches past 4 GiB.
 */
function endRecords(count: number, directoryOffset: number, directorySize: number): Buffer {
  const zip64 = count >= MAX_16 || directoryOffset >= MAX_32 || directorySize >= MAX_32;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_DIRECTORY, 0);
  end.writeUInt16LE(Math.min(count, MAX_16), 8);
  end.writeUInt16LE(Math.min(count, MAX_16), 10);
  end.writeUInt32LE(Math.min(directorySize, MAX_32), 12);
  end.writeUInt32LE(Math.min(directoryOffset, MAX_32), 16);
  if (!zip64) return end;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(ZIP64_END_OF_DIRECTORY, 0);
  record.writeBigUInt64LE(BigInt(record.length - 12), 4); // size of the rest of the record
  record.writeUInt16LE(VERSION_ZIP64, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  // this disk and the directory's disk: both 0
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(ZIP64_LOCATOR, 0);
  locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
  locator.writeUInt32LE(1, 16); // total number of disks
  return Buffer.concat([record, locator, end]);
}

export interface ZipWriterOptions {
  /** Modification time of every entry; the DOS epoch (1980-01-01 00:00) when not given. */
  mtime?: Date;
  /** Unix mode recorded for every entry (e.g. 0o100644); none writes MS-DOS attributes. */
  mode?: number;
  /** zlib level for entries added with `deflate`. */
  level?: number;
}

/**
 * Writes a ZIP archive front to back: each `add` passes the entry's local header and data to the
 * sink at once; `finish` writes the central directory and end records. Sink chunks are never
 * reused, so the sink may keep them.
 */
export class ZipStreamWriter {
  private offset = 0;
  private count = 0;
  // Central directory records, gathered into blocks so 100,000 entries are not 100,000 buffers.
  private readonly blocks: Buffer[] = [];
  private recent: Buffer[] = [];
  private finished = false;
  private readonly dos: { time: number; date: number };

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    private readonly options: ZipWriterOptions = {},
  ) {
    this.dos = dosDateTime(options.mtime);
  }

  /** Bytes handed to the sink so far. */
  get bytesWritten(): number {
    return this.offset;
  }

  get entryCount(): number {
    return this.count;
  }

  /** Adds one entry: stored, or deflated when asked and the result is smaller. */
  add(name: string, data: Buffer, options: { deflate?: boolean } = {}): void {
    if (this.finished) throw new Error('the archive is already finished');
    checkName(name);
    let method = STORE;
    let body = data;
    if (options.deflate) {
      const deflated = deflateRawSync(data, { level: this.options.level ?? 9 });
      if (deflated.length < data.length) [method, body] = [DEFLATE, deflated];
    }
    const fields: EntryFields = {
      name: Buffer.from(name, 'utf8'),
      method,
      dos: this.dos,
      crc: crc32(data),
      compressedSize: body.length,
      size: data.length,
      offset: this.offset,
      mode: this.options.mode,
    };
    const local = entryHeader('local', fields);
    this.sink(local);
    if (body.length > 0) this.sink(body);
    this.offset += local.length + body.length;
    this.recent.push(entryHeader('central', fields));
    if (this.recent.length >= 1024) {
      this.blocks.push(Buffer.concat(this.recent));
      this.recent = [];
    }
    this.count++;
  }

  /** Writes the central directory and the end records; the writer takes no more entries. */
  finish(): void {
    if (this.finished) throw new Error('the archive is already finished');
    this.finished = true;
    const directoryOffset = this.offset;
    let directorySize = 0;
    for (const block of [...this.blocks, ...this.recent]) {
      this.sink(block);
      directorySize += block.length;
    }
    this.blocks.length = 0;
    this.recent = [];
    const end = endRecords(this.count, directoryOffset, directorySize);
    this.sink(end);
    this.offset += directorySize + end.length;
  }
}

/** A whole archive in memory; each entry is deflated when that makes it smaller. */
export function buildZip(entries: readonly ZipEntry[], options: ZipWriterOptions = {}): Buffer {
  const names = new Set<string>();
  const chunks: Buffer[] = [];
  const writer = new ZipStreamWriter((chunk) => chunks.push(chunk), options);
  for (const entry of entries) {
    if (names.has(entry.name)) throw new RangeError(`duplicate archive path: ${entry.name}`);
    names.add(entry.name);
    writer.add(entry.name, entry.data, { deflate: true });
  }
  writer.finish();
  return Buffer.concat(chunks);
}
