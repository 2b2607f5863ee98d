// Loaded with `node --import` when a test cannot mount a small tmpfs: the files under
// MAILSETUP_TEST_FULL_DIR share MAILSETUP_TEST_FULL_BYTES bytes, and writes beyond them behave as
// a full disk does (a short write up to the limit, then ENOSPC). Only what the CLI uses is patched.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

const dir = resolve(process.env.MAILSETUP_TEST_FULL_DIR ?? '/nonexistent');
let left = Number(process.env.MAILSETUP_TEST_FULL_BYTES ?? '0');
const watched = new Set();
const inside = (path) => typeof path === 'string' && (resolve(path) + sep).startsWith(dir + sep);

function enospc(syscall) {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
}

/** How many of `length` bytes fit; throws when none do. */
function take(length, syscall) {
  if (length === 0) return 0;
  if (left <= 0) throw enospc(syscall);
  const granted = Math.min(left, length);
  left -= granted;
  return granted;
}

const { openSync, closeSync, writeSync, writevSync, writeFileSync } = fs;

fs.openSync = function (path, ...rest) {
  const fd = openSync.call(fs, path, ...rest);
  if (inside(path)) watched.add(fd);
  return fd;
};
fs.closeSync = function (fd) {
  watched.delete(fd);
  return closeSync.call(fs, fd);
};
fs.writeSync = function (fd, data, ...rest) {
  if (!watched.has(fd)) return writeSync.call(fs, fd, data, ...rest);
  const bytes =
    typeof data === 'string' ? Buffer.from(data, typeof rest[1] === 'string' ? rest[1] : 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const offset = typeof data === 'string' ? 0 : (rest[0] ?? 0);
  const length = typeof data === 'string' ? bytes.length : (rest[1] ?? bytes.length - offset);
  const position = typeof data === 'string' ? rest[0] : rest[2];
  const granted = take(length, 'write');
  return writeSync.call(fs, fd, bytes, offset, granted, position);
};
fs.writevSync = function (fd, buffers, position) {
  if (!watched.has(fd)) return writevSync.call(fs, fd, buffers, position);
  const all = Buffer.concat(buffers);
  const granted = take(all.length, 'write');
  return writeSync.call(fs, fd, all, 0, granted, position);
};
fs.writeFileSync = function (file, data, options) {
  if (!(typeof file === 'number' ? watched.has(file) : inside(file))) return writeFileSync.call(fs, file, data, options);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fd = typeof file === 'number' ? file : fs.openSync(file, 'w', typeof options === 'object' ? options?.mode : undefined);
  try {
    for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd);
  }
};
syncBuiltinESMExports();
