// The one place file names are made safe: for disks, ZIP entries and Content-Disposition.

/** A file name from free text: letters (any script), digits, `@._-`; everything else becomes `_`. */
export function safeFileName(base: string, extension: string): string {
  const cleaned = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}@._-]+/gu, '_')
    .replace(/^[._]+/, '')
    .slice(0, 120);
  return `${cleaned || 'mail'}.${extension}`;
}

/** The ASCII-only variant for `filename=` (and old clients): other letters become `_`. */
export function asciiFileName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}
