// The one place file names are made safe: for disks, ZIP entries, mail attachments and
// Content-Disposition. A name is made from the person's address, so it must stay one name per
// person: when making it safe changed or shortened the address, a short hash of the address is
// added, after a `~` that sanitising never produces (so a marked name never equals an unmarked one).
import { createHash } from 'node:crypto';

/** Readable part: at most this many code points, and this many UTF-8 bytes (a disk allows 255 per name). */
const MAX_CODE_POINTS = 120;
const MAX_BYTES = 160;

/** Letters and marks of any script, digits and `@._-`; runs of anything else become one `_`. */
const UNSAFE = /[^\p{L}\p{M}\p{N}@._-]+/gu;
/** Leading dots hide files, leading dashes read as options, leading marks have nothing to sit on. */
const LEADING = /^[._\-\p{M}]+/u;

function cut(text: string): string {
  // UTF-16 units are never fewer than code points: a short text is kept whole without a walk.
  if (text.length <= MAX_CODE_POINTS && Buffer.byteLength(text, 'utf8') <= MAX_BYTES) return text;
  let out = '';
  let bytes = 0;
  let count = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (count === MAX_CODE_POINTS || bytes + size > MAX_BYTES) break;
    out += char;
    bytes += size;
    count++;
  }
  return out;
}

/** Eight hex digits of SHA-256: stable for one address, different for different ones (UTF-16 keeps even unpaired surrogates apart). */
function suffix(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('hex').slice(0, 8);
}

/** A file name from free text (an address): the text itself when it is safe, else a safe form marked `~hash`. */
export function safeFileName(base: string, extension: string): string {
  const readable = cut(base.normalize('NFC').replace(UNSAFE, '_').replace(LEADING, ''));
  if (readable !== '' && readable === base) return `${readable}.${extension}`;
  return `${readable || 'mail'}~${suffix(base)}.${extension}`;
}

/** The ASCII-only variant for `filename=` (and old clients): other letters become `_`. */
export function asciiFileName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}
